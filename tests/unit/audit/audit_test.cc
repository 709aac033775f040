#include <gatehouse/audit/audit.h>

#include <gatehouse/common/clock.h>
#include <gatehouse/crypto/hmac.h>
#include <gatehouse/crypto/sha256.h>
#include <gatehouse/store/database.h>

#include "mocks/manual_clock.h"
#include "mocks/temp_dir.h"

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <memory>
#include <sstream>
#include <thread>

namespace gatehouse::audit {
namespace {

constexpr std::string_view kKey = "0123456789abcdef0123456789abcdef";
constexpr std::string_view kOtherKey = "fedcba9876543210fedcba9876543210";
constexpr std::int64_t kStart = 1'763'856'000'000;  // 2025-11-23T00:00:00Z
constexpr std::int64_t kDay = 24LL * 60 * 60 * 1000;

using testing::ManualClock;

AuditEvent event(std::string org, std::string action, std::string target = "obj_1") {
  AuditEvent e;
  e.org_id = std::move(org);
  e.actor = "admin_key:ak_1";
  e.action = std::move(action);
  e.target = std::move(target);
  e.source_ip = "203.0.113.7";
  e.request_id = "req_1";
  e.detail = R"({"name":"ci"})";
  return e;
}

// What an offline verifier (or an attacker without the key) computes: the documented,
// length-prefixed encoding.
void appendU64(std::string& out, std::uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((value >> shift) & 0xFF));
  }
}
void appendField(std::string& out, std::string_view bytes) {
  appendU64(out, bytes.size());
  out += bytes;
}
std::string bytesOf(const crypto::Sha256Digest& digest) {
  return std::string(reinterpret_cast<const char*>(digest.data()), digest.size());
}
std::string hashEntry(std::string_view chain, std::int64_t seq, std::int64_t created_at,
                      std::string_view actor, std::string_view action, std::string_view target,
                      std::string_view outcome, std::string_view source_ip,
                      std::string_view request_id, std::string_view detail,
                      std::string_view prev_hash) {
  std::string in;
  appendField(in, "gatehouse/audit/entry/v1");
  appendField(in, chain);
  appendU64(in, static_cast<std::uint64_t>(seq));
  appendU64(in, static_cast<std::uint64_t>(created_at));
  for (std::string_view field :
       {actor, action, target, outcome, source_ip, request_id, detail, prev_hash}) {
    appendField(in, field);
  }
  return bytesOf(crypto::sha256(in));
}
std::string headMac(std::string_view key, std::string_view chain, std::int64_t seq,
                    std::string_view hash) {
  std::string in;
  appendField(in, "gatehouse/audit/head/v1");
  appendField(in, chain);
  appendU64(in, static_cast<std::uint64_t>(seq));
  appendField(in, hash);
  return bytesOf(crypto::hmacSha256(key, in));
}
std::string fromHex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

class AuditTest : public ::testing::Test {
 protected:
  AuditTest() : db_(store::Database::open(store::databasePath(dir_.path()))), log_(kKey, clock_) {}

  std::int64_t append(const AuditEvent& e) {
    auto id = log_.append(*db_, e);
    EXPECT_TRUE(id.ok()) << (id.ok() ? "" : id.error().message);
    clock_.advance(std::chrono::milliseconds(1000));
    return id.ok() ? *id : 0;
  }

  // Ten entries in org_a, three in org_b, two instance-wide; returns org_a's row ids by seq.
  std::vector<std::int64_t> seed() {
    std::vector<std::int64_t> ids;
    for (int i = 1; i <= 10; ++i) {
      ids.push_back(append(event("org_a", "caller_key.create", "ck_" + std::to_string(i))));
      if (i <= 3) {
        append(event("org_b", "provider_key.delete"));
      }
      if (i <= 2) {
        append(event("", "org.create", "org_" + std::to_string(i)));
      }
    }
    return ids;
  }

  void exec(std::string_view sql) {
    auto r = db_->exec(sql);
    ASSERT_TRUE(r.ok()) << r.error().message;
  }

  // What an attacker with write access to the file does first.
  void dropTriggers() {
    exec("DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;");
  }

  VerifyReport verifyWith(std::string_view key) {
    auto report = verify(*db_, key);
    EXPECT_TRUE(report.ok()) << (report.ok() ? "" : report.error().message);
    return report.ok() ? *report : VerifyReport{false, 0, 0, "", 0, 0, "error"};
  }

  testing::TempDir dir_;
  ManualClock clock_{kStart};
  std::unique_ptr<store::Database> db_;
  AuditLog log_;
};

TEST_F(AuditTest, AppendsAcrossChainsAndVerifies) {
  const auto ids = seed();
  VerifyReport report = verifyWith(kKey);
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.chains, 3u);
  EXPECT_EQ(report.entries, 15u);

  auto entries = listEntries(*db_, "org_a", 100, 0);
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 10u);
  // Newest first; each links to its predecessor; seq 1 links to the genesis hash.
  EXPECT_EQ(entries->front().seq, 10);
  EXPECT_EQ(entries->front().id, ids.back());
  for (std::size_t i = 0; i + 1 < entries->size(); ++i) {
    EXPECT_EQ((*entries)[i].prev_hash_hex, (*entries)[i + 1].hash_hex);
    EXPECT_GT((*entries)[i].id, (*entries)[i + 1].id);
  }
  const AuditEntry& first = entries->back();
  EXPECT_EQ(first.seq, 1);
  EXPECT_EQ(first.created_at, kStart);
  EXPECT_EQ(first.event.org_id, "org_a");
  EXPECT_EQ(first.event.actor, "admin_key:ak_1");
  EXPECT_EQ(first.event.target, "ck_1");
  EXPECT_EQ(first.event.outcome, "success");
  EXPECT_EQ(first.event.detail, R"({"name":"ci"})");
  std::array<char, 64> hex{};
  EXPECT_EQ(first.prev_hash_hex,
            crypto::toHex(crypto::sha256("gatehouse/audit/genesis|org_a"), hex));
  // The documented encoding reproduces the stored hash.
  EXPECT_EQ(fromHex(first.hash_hex),
            hashEntry("org_a", 1, kStart, "admin_key:ak_1", "caller_key.create", "ck_1", "success",
                      "203.0.113.7", "req_1", R"({"name":"ci"})", fromHex(first.prev_hash_hex)));
}

TEST_F(AuditTest, AnEmptyDatabaseVerifies) {
  VerifyReport report = verifyWith(kKey);
  EXPECT_TRUE(report.ok);
  EXPECT_EQ(report.chains, 0u);
  EXPECT_EQ(report.entries, 0u);
}

TEST_F(AuditTest, RejectsMalformedEvents) {
  auto bad = [&](AuditEvent e) {
    auto r = log_.append(*db_, e);
    EXPECT_FALSE(r.ok());
    if (!r.ok()) {
      EXPECT_EQ(r.error().code, ErrorCode::kInvalidRequest);
    }
  };
  AuditEvent e = event("org_a", "x");
  e.detail = "[1,2]";
  bad(e);
  e.detail = "{\"a\":";
  bad(e);
  e.detail = "{}";
  e.outcome = "maybe";
  bad(e);
  e.outcome = "denied";
  e.actor = "";
  bad(e);
  e.actor = "cli";
  e.target = "\xff\xfe";
  bad(e);
  e.target = std::string(kMaxFieldBytes + 1, 'x');
  bad(e);
  e.target = "";
  EXPECT_TRUE(log_.append(*db_, e).ok());
  EXPECT_TRUE(verifyWith(kKey).ok);
  EXPECT_EQ(verifyWith(kKey).entries, 1u);
}

TEST_F(AuditTest, TriggersRefuseUpdateAndDelete) {
  seed();
  auto update = db_->exec("UPDATE audit_log SET actor = 'someone' WHERE seq = 3");
  ASSERT_FALSE(update.ok());
  EXPECT_NE(update.error().message.find("append-only"), std::string::npos);
  auto remove = db_->exec("DELETE FROM audit_log WHERE chain = 'org_a' AND seq = 1");
  ASSERT_FALSE(remove.ok());
  EXPECT_NE(remove.error().message.find("append-only"), std::string::npos);
  EXPECT_TRUE(verifyWith(kKey).ok);
}

TEST_F(AuditTest, AnEditedFieldNamesTheEntry) {
  const auto ids = seed();
  dropTriggers();
  exec("UPDATE audit_log SET target = 'ck_other' WHERE chain = 'org_a' AND seq = 4");
  VerifyReport report = verifyWith(kKey);
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.bad_chain, "org_a");
  EXPECT_EQ(report.bad_seq, 4);
  EXPECT_EQ(report.bad_id, ids[3]);
  EXPECT_EQ(report.problem, "entry 4 was modified");
  EXPECT_EQ(report.chains, 3u);
}

TEST_F(AuditTest, EveryHashedFieldIsCovered) {
  for (std::string_view set :
       {"created_at = created_at + 1", "actor = 'cli'", "action = 'x'", "target = 'y'",
        "outcome = 'failure'", "source_ip = '10.0.0.1'", "request_id = 'r'",
        "detail = '{\"name\":\"cj\"}'", "prev_hash = zeroblob(32)"}) {
    SCOPED_TRACE(set);
    testing::TempDir dir;
    auto db = store::Database::open(store::databasePath(dir.path()));
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE(log_.append(*db, event("org_a", "a")).ok());
    }
    ASSERT_TRUE(db->exec("DROP TRIGGER audit_log_no_update").ok());
    ASSERT_TRUE(db->exec("UPDATE audit_log SET " + std::string(set) + " WHERE seq = 2").ok());
    auto report = verify(*db, kKey);
    ASSERT_TRUE(report.ok());
    EXPECT_FALSE(report->ok);
    EXPECT_EQ(report->bad_seq, 2);
  }
}

TEST_F(AuditTest, ADeletedMiddleEntryIsNamed) {
  seed();
  dropTriggers();
  exec("DELETE FROM audit_log WHERE chain = 'org_b' AND seq = 2");
  VerifyReport report = verifyWith(kKey);
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.bad_chain, "org_b");
  EXPECT_EQ(report.bad_seq, 2);
  EXPECT_EQ(report.problem, "entry 2 is missing");
}

TEST_F(AuditTest, ADeletedLastEntryShowsAtTheHead) {
  seed();
  dropTriggers();
  exec("DELETE FROM audit_log WHERE chain = 'org_a' AND seq = 10");
  VerifyReport report = verifyWith(kKey);
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.bad_chain, "org_a");
  EXPECT_EQ(report.bad_seq, 0);
  EXPECT_EQ(report.problem,
            "chain head does not match (entries removed or recomputed after seq 9)");
}

TEST_F(AuditTest, SwappedEntriesAreOutOfOrder) {
  const auto ids = seed();
  dropTriggers();
  exec(
      "UPDATE audit_log SET seq = -1 WHERE chain = 'org_a' AND seq = 4;"
      "UPDATE audit_log SET seq = 4 WHERE chain = 'org_a' AND seq = 5;"
      "UPDATE audit_log SET seq = 5 WHERE chain = 'org_a' AND seq = -1;");
  VerifyReport report = verifyWith(kKey);
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.bad_chain, "org_a");
  EXPECT_EQ(report.bad_seq, 5);
  EXPECT_EQ(report.bad_id, ids[3]);
  EXPECT_EQ(report.problem, "entries out of order at 5");
}

// An attacker without the key edits an entry and recomputes every hash after it.
class RecomputedChain : public AuditTest {
 protected:
  void editAndRecompute(bool update_head) {
    seed();
    dropTriggers();
    exec("UPDATE audit_log SET target = 'ck_hidden' WHERE chain = 'org_a' AND seq = 3");
    auto select = db_->prepare(
        "SELECT seq, created_at, actor, action, target, outcome, source_ip, request_id, detail, "
        "prev_hash FROM audit_log WHERE chain = 'org_a' AND seq >= 3 ORDER BY seq");
    ASSERT_TRUE(select.ok());
    struct Row {
      std::int64_t seq;
      std::string hash;
    };
    std::vector<Row> rows;
    std::string prev;
    while (*select->step()) {
      const std::string prev_hash = rows.empty() ? select->columnBlob(9) : prev;
      prev =
          hashEntry("org_a", select->columnInt(0), select->columnInt(1), select->columnText(2),
                    select->columnText(3), select->columnText(4), select->columnText(5),
                    select->columnText(6), select->columnText(7), select->columnText(8), prev_hash);
      rows.push_back({select->columnInt(0), prev});
    }
    ASSERT_EQ(rows.size(), 8u);
    auto update = db_->prepare(
        "UPDATE audit_log SET hash = ?2, prev_hash = coalesce((SELECT hash FROM audit_log "
        "WHERE chain = 'org_a' AND seq = ?1 - 1), prev_hash) WHERE chain = 'org_a' AND seq = ?1");
    ASSERT_TRUE(update.ok());
    for (const Row& row : rows) {
      update->bind(1, row.seq).bindBlob(2, row.hash);
      ASSERT_TRUE(update->run().ok());
    }
    if (update_head) {
      auto head = db_->prepare("UPDATE audit_heads SET hash = ?1 WHERE chain = 'org_a'");
      head->bindBlob(1, rows.back().hash);
      ASSERT_TRUE(head->run().ok());
    }
  }
};

TEST_F(RecomputedChain, FailsTheHeadMacWhenTheHeadIsUpdated) {
  editAndRecompute(true);
  VerifyReport report = verifyWith(kKey);
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.bad_chain, "org_a");
  EXPECT_EQ(report.bad_seq, 0);
  EXPECT_EQ(report.problem, "chain head MAC invalid");
  // The entries themselves are consistent: only the keyed head gives it away.
  EXPECT_EQ(report.entries, 15u);
  // And the log refuses to extend (and so re-anchor) the forged head.
  auto appended = log_.append(*db_, event("org_a", "after"));
  ASSERT_FALSE(appended.ok());
  EXPECT_NE(appended.error().message.find("MAC"), std::string::npos);
  EXPECT_FALSE(verifyWith(kKey).ok);
}

TEST_F(RecomputedChain, MismatchesTheHeadWhenTheHeadIsLeftAlone) {
  editAndRecompute(false);
  VerifyReport report = verifyWith(kKey);
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.bad_chain, "org_a");
  EXPECT_NE(report.problem.find("chain head does not match"), std::string::npos);
  // Appending on top does not hide it either: the new entry does not link to the recomputed one.
  ASSERT_TRUE(log_.append(*db_, event("org_a", "after")).ok());
  report = verifyWith(kKey);
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.bad_seq, 11);
}

TEST_F(AuditTest, AHeadForgedWithAnotherKeyIsReported) {
  seed();
  dropTriggers();
  // Drop the tail and re-anchor the head on entry 9 with a MAC under the wrong key.
  exec("DELETE FROM audit_log WHERE chain = 'org_a' AND seq = 10");
  auto hash = db_->prepare("SELECT hash FROM audit_log WHERE chain = 'org_a' AND seq = 9");
  ASSERT_TRUE(*hash->step());
  const std::string h9 = hash->columnBlob(0);
  auto head = db_->prepare("UPDATE audit_heads SET seq = 9, hash = ?1, mac = ?2 WHERE chain = ?3");
  head->bindBlob(1, h9).bindBlob(2, headMac(kOtherKey, "org_a", 9, h9)).bind(3, "org_a");
  ASSERT_TRUE(head->run().ok());
  VerifyReport report = verifyWith(kKey);
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.bad_chain, "org_a");
  EXPECT_EQ(report.problem, "chain head MAC invalid");
  // With the right key the forgery would have passed: the MAC is what holds.
  auto forged = db_->prepare("UPDATE audit_heads SET mac = ?1 WHERE chain = 'org_a'");
  forged->bindBlob(1, headMac(kKey, "org_a", 9, h9));
  ASSERT_TRUE(forged->run().ok());
  EXPECT_TRUE(verifyWith(kKey).ok);
}

TEST_F(AuditTest, AMissingHeadOrMissingEntriesAreReported) {
  seed();
  exec("DELETE FROM audit_heads WHERE chain = 'org_b'");
  VerifyReport report = verifyWith(kKey);
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.bad_chain, "org_b");
  EXPECT_EQ(report.problem, "chain has entries but no head");
  // The log will not restart a chain whose head is gone either.
  EXPECT_FALSE(log_.append(*db_, event("org_b", "x")).ok());

  testing::TempDir dir;
  auto db = store::Database::open(store::databasePath(dir.path()));
  ASSERT_TRUE(log_.append(*db, event("org_c", "a")).ok());
  ASSERT_TRUE(log_.append(*db, event("", "b")).ok());
  ASSERT_TRUE(db->exec("DROP TRIGGER audit_log_no_delete").ok());
  ASSERT_TRUE(db->exec("DELETE FROM audit_log WHERE chain = 'org_c'").ok());
  auto gone = verify(*db, kKey);
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->ok);
  EXPECT_EQ(gone->bad_chain, "org_c");
  EXPECT_EQ(gone->problem, "chain has a head but no entries (entries removed)");
}

TEST_F(AuditTest, ARolledBackAppendLeavesNoEntry) {
  seed();
  ASSERT_TRUE(db_->begin().ok());
  ASSERT_TRUE(
      db_->exec("INSERT INTO organizations (id, name, created_at) VALUES ('o', 'o', 0)").ok());
  auto id = log_.appendInTransaction(*db_, event("org_a", "org.create", "o"));
  ASSERT_TRUE(id.ok()) << id.error().message;
  ASSERT_TRUE(db_->rollback().ok());
  auto entries = listEntries(*db_, "org_a", 100, 0);
  ASSERT_EQ(entries->size(), 10u);
  EXPECT_EQ(entries->front().seq, 10);
  VerifyReport report = verifyWith(kKey);
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.entries, 15u);
  // The next append takes the seq the rolled-back one had.
  ASSERT_TRUE(log_.append(*db_, event("org_a", "x")).ok());
  EXPECT_EQ(listEntries(*db_, "org_a", 1, 0)->front().seq, 11);
  EXPECT_TRUE(verifyWith(kKey).ok);
}

TEST_F(AuditTest, AFailedAppendLeavesTheCallersTransactionIntact) {
  seed();
  // org_a's head is gone, so appending to it fails after reading the head (seq 1 exists).
  exec("DELETE FROM audit_heads WHERE chain = 'org_a'");
  ASSERT_TRUE(db_->begin().ok());
  ASSERT_TRUE(log_.appendInTransaction(*db_, event("org_b", "first")).ok());
  EXPECT_FALSE(log_.appendInTransaction(*db_, event("org_a", "second")).ok());
  AuditEvent bad = event("org_b", "third");
  bad.detail = "nope";
  EXPECT_FALSE(log_.appendInTransaction(*db_, bad).ok());
  ASSERT_TRUE(log_.appendInTransaction(*db_, event("org_b", "fourth")).ok());
  ASSERT_TRUE(db_->commit().ok());
  auto org_b = listEntries(*db_, "org_b", 10, 0);
  ASSERT_EQ(org_b->size(), 5u);
  EXPECT_EQ(org_b->front().event.action, "fourth");
  EXPECT_EQ(listEntries(*db_, "org_a", 100, 0)->size(), 10u);
  VerifyReport report = verifyWith(kKey);
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.bad_chain, "org_a");
  EXPECT_EQ(report.problem, "chain has entries but no head");
  EXPECT_EQ(report.entries, 17u);
}

TEST_F(AuditTest, ConcurrentAppendersOnSeparateConnectionsKeepTheChainIntact) {
  const std::string path = store::databasePath(dir_.path());
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&, t] {
      auto db = store::Database::open(path);
      for (int i = 0; i < 25; ++i) {
        auto r = log_.append(*db, event(t % 2 ? "org_a" : "", "w" + std::to_string(t)));
        EXPECT_TRUE(r.ok()) << r.error().message;
      }
    });
  }
  for (std::thread& w : writers) {
    w.join();
  }
  VerifyReport report = verifyWith(kKey);
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.chains, 2u);
  EXPECT_EQ(report.entries, 100u);
}

TEST_F(AuditTest, RetentionPurgesOldEntriesAndTheChainStillVerifies) {
  exec(
      "INSERT INTO organizations (id, name, created_at, audit_retention_days) VALUES "
      "('org_a', 'a', 0, 30), ('org_b', 'b', 0, 400)");
  // org_a: 5 entries 100 days old, 3 entries 10 days old.
  // org_b (400 days): 4 entries 100 days old, all kept.
  // org_gone (deleted organisation: 365 days): 3 entries 500 days old; the newest stays.
  // instance chain (365 days): 2 entries 400 days old, 1 recent.
  const std::int64_t now = kStart + 1000 * kDay;
  auto at = [&](std::int64_t days_ago, const AuditEvent& e) {
    clock_.set(now - days_ago * kDay);
    ASSERT_TRUE(log_.append(*db_, e).ok());
  };
  for (int i = 0; i < 5; ++i) {
    at(100, event("org_a", "old"));
    if (i < 4) {
      at(100, event("org_b", "old"));
    }
    if (i < 3) {
      at(500, event("org_gone", "old"));
    }
    if (i < 2) {
      at(400, event("", "old"));
    }
  }
  for (int i = 0; i < 3; ++i) {
    at(10, event("org_a", "recent"));
  }
  at(1, event("", "recent"));
  clock_.set(now);

  auto report = log_.enforceRetention(*db_, now);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_EQ(report->purged, 5u + 2u + 2u);
  EXPECT_EQ(report->chains, 3u);

  VerifyReport verified = verifyWith(kKey);
  EXPECT_TRUE(verified.ok) << verified.bad_chain << ": " << verified.problem;
  EXPECT_EQ(verified.chains, 4u);
  // org_a: 3 recent + marker; org_b: 4; org_gone: newest + marker; instance: recent + marker.
  EXPECT_EQ(verified.entries, 4u + 4u + 2u + 2u);

  auto org_a = listEntries(*db_, "org_a", 100, 0);
  ASSERT_EQ(org_a->size(), 4u);
  EXPECT_EQ(org_a->front().seq, 9);
  EXPECT_EQ(org_a->front().event.action, "audit.retention");
  EXPECT_EQ(org_a->front().event.actor, "system");
  EXPECT_EQ(org_a->front().event.detail, R"({"purged":5,"through_seq":5})");
  EXPECT_EQ(org_a->back().seq, 6);
  auto gone = listEntries(*db_, "org_gone", 100, 0);
  ASSERT_EQ(gone->size(), 2u);
  EXPECT_EQ(gone->back().seq, 3);
  EXPECT_EQ(listEntries(*db_, "org_b", 100, 0)->size(), 4u);

  auto checkpoint =
      db_->prepare("SELECT through_seq, created_at FROM audit_checkpoints WHERE chain = 'org_a'");
  ASSERT_TRUE(*checkpoint->step());
  EXPECT_EQ(checkpoint->columnInt(0), 5);
  EXPECT_EQ(checkpoint->columnInt(1), now);

  // A second run purges nothing new, and appends no further markers.
  auto again = log_.enforceRetention(*db_, now);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->purged, 0u);
  EXPECT_EQ(again->chains, 0u);
  EXPECT_EQ(verifyWith(kKey).entries, 12u);

  // The trigger still refuses deleting what the checkpoint does not cover.
  EXPECT_FALSE(db_->exec("DELETE FROM audit_log WHERE chain = 'org_a' AND seq = 6").ok());

  // Later, with more history, the checkpoint advances and the chain still verifies.
  clock_.set(now + 40 * kDay);
  ASSERT_TRUE(log_.append(*db_, event("org_a", "later")).ok());
  auto later = log_.enforceRetention(*db_, now + 40 * kDay);
  ASSERT_TRUE(later.ok()) << later.error().message;
  EXPECT_EQ(later->purged, 4u);  // org_a's 3 once-recent entries and its marker.
  EXPECT_EQ(later->chains, 1u);
  EXPECT_TRUE(verifyWith(kKey).ok) << verifyWith(kKey).problem;
}

TEST_F(AuditTest, ATamperedCheckpointIsReported) {
  const std::int64_t now = kStart + 400 * kDay;
  for (int i = 0; i < 4; ++i) {
    append(event("org_a", "old"));
  }
  clock_.set(now);
  append(event("org_a", "recent"));
  ASSERT_TRUE(log_.enforceRetention(*db_, now).ok());
  ASSERT_TRUE(verifyWith(kKey).ok);
  exec("UPDATE audit_checkpoints SET through_seq = through_seq - 1 WHERE chain = 'org_a'");
  VerifyReport report = verifyWith(kKey);
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.bad_chain, "org_a");
  EXPECT_EQ(report.bad_seq, 0);
  EXPECT_EQ(report.problem, "checkpoint MAC invalid");
}

TEST_F(AuditTest, RetentionLeavesABrokenChainAloneAndSaysSo) {
  for (int i = 0; i < 4; ++i) {
    append(event("org_a", "old"));
    append(event("org_b", "old"));
  }
  dropTriggers();
  exec("UPDATE audit_log SET actor = 'cli' WHERE chain = 'org_a' AND seq = 2");
  const std::int64_t now = kStart + 400 * kDay;
  clock_.set(now);
  auto report = log_.enforceRetention(*db_, now);
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.error().message.find("org_a"), std::string::npos);
  // org_b was still purged; org_a kept its evidence.
  EXPECT_EQ(listEntries(*db_, "org_a", 100, 0)->size(), 4u);
  EXPECT_EQ(listEntries(*db_, "org_b", 100, 0)->size(), 2u);
  VerifyReport verified = verifyWith(kKey);
  EXPECT_EQ(verified.bad_chain, "org_a");
  EXPECT_EQ(verified.bad_seq, 2);
}

TEST_F(AuditTest, ExportsCsvWithHashesAndEscaping) {
  AuditEvent tricky = event("org_a", "caller_key.create", "ck,\"1\"\nx");
  tricky.detail = R"({"name":"a, \"b\"\nc"})";
  tricky.request_id = "=HYPERLINK(\"x\")";
  append(tricky);
  append(event("org_b", "provider_key.delete", "pk_1"));
  append(event("", "org.delete", "org_9"));

  std::ostringstream out;
  auto count = exportAudit(*db_, ExportFilter{}, ExportFormat::kCsv, out);
  ASSERT_TRUE(count.ok()) << count.error().message;
  EXPECT_EQ(*count, 3u);
  std::istringstream lines(out.str());
  std::string line;
  std::getline(lines, line);
  EXPECT_EQ(line,
            "id,chain,seq,created_at,time,actor,action,target,outcome,source_ip,request_id,detail,"
            "prev_hash,hash");
  // Chain order: '' first, then org_a, org_b.
  std::getline(lines, line);
  EXPECT_EQ(line.rfind("3,,1," + std::to_string(kStart + 2000) + ",2025-11-23T00:00:02.000Z,", 0),
            0u)
      << line;
  const std::string rest = out.str().substr(out.str().find('\n', out.str().find("\n3,,1") + 1) + 1);
  EXPECT_EQ(rest.rfind("1,org_a,1," + std::to_string(kStart) +
                           ",2025-11-23T00:00:00.000Z,admin_key:ak_1,caller_key.create,"
                           "\"ck,\"\"1\"\"\nx\",success,203.0.113.7,"
                           "\"'=HYPERLINK(\"\"x\"\")\","
                           "\"{\"\"name\"\":\"\"a, \\\"\"b\\\"\"\\nc\"\"}\",",
                       0),
            0u)
      << rest;
  auto entry = listEntries(*db_, "org_a", 1, 0);
  EXPECT_NE(out.str().find(entry->front().prev_hash_hex + "," + entry->front().hash_hex + "\n"),
            std::string::npos);
  EXPECT_NE(out.str().find("2,org_b,1,"), std::string::npos);
}

TEST_F(AuditTest, ExportsJsonLinesThatCanBeVerifiedOffline) {
  AuditEvent tricky = event("org_a", "caller_key.create", "ck,\"1\"\nx");
  tricky.detail = R"({"name":"a, \"b\"\nc","n":1})";
  append(tricky);
  append(event("org_a", "caller_key.delete"));
  append(event("org_b", "provider_key.delete", "pk_1"));

  std::ostringstream out;
  ExportFilter filter;
  filter.org_id = "org_a";
  auto count = exportAudit(*db_, filter, ExportFormat::kJsonLines, out);
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, 2u);
  std::istringstream lines(out.str());
  std::string line;
  std::string prev;
  std::array<char, 64> hex{};
  prev = crypto::toHex(crypto::sha256("gatehouse/audit/genesis|org_a"), hex);
  std::int64_t seq = 0;
  while (std::getline(lines, line)) {
    const boost::json::object o = boost::json::parse(line).as_object();
    EXPECT_EQ(o.at("chain").as_string(), "org_a");
    EXPECT_EQ(o.at("seq").as_int64(), ++seq);
    EXPECT_EQ(o.at("prev_hash").as_string(), prev);
    const std::string h = hashEntry(
        "org_a", o.at("seq").as_int64(), o.at("created_at").as_int64(),
        std::string(o.at("actor").as_string()), std::string(o.at("action").as_string()),
        std::string(o.at("target").as_string()), std::string(o.at("outcome").as_string()),
        std::string(o.at("source_ip").as_string()), std::string(o.at("request_id").as_string()),
        std::string(o.at("detail").as_string()),
        fromHex(std::string(o.at("prev_hash").as_string())));
    EXPECT_EQ(fromHex(std::string(o.at("hash").as_string())), h);
    prev = std::string(o.at("hash").as_string());
    if (seq == 1) {
      EXPECT_EQ(o.at("target").as_string(), "ck,\"1\"\nx");
      EXPECT_EQ(o.at("detail").as_string(), R"({"name":"a, \"b\"\nc","n":1})");
      EXPECT_EQ(o.at("time").as_string(), "2025-11-23T00:00:00.000Z");
    }
  }
  EXPECT_EQ(seq, 2);

  std::ostringstream none;
  filter.org_id = "";
  EXPECT_EQ(*exportAudit(*db_, filter, ExportFormat::kJsonLines, none), 0u);
  EXPECT_EQ(none.str(), "");
  std::ostringstream by_time;
  ExportFilter window;
  window.since_ms = kStart + 1000;
  window.until_ms = kStart + 2000;
  EXPECT_EQ(*exportAudit(*db_, window, ExportFormat::kJsonLines, by_time), 1u);
  EXPECT_NE(by_time.str().find("\"action\":\"caller_key.delete\""), std::string::npos);
}

TEST_F(AuditTest, ListsNewestFirstWithPagination) {
  const auto ids = seed();
  auto page = listEntries(*db_, "org_a", 4, 0);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 4u);
  EXPECT_EQ(page->front().seq, 10);
  EXPECT_EQ(page->back().seq, 7);
  auto next = listEntries(*db_, "org_a", 4, page->back().id);
  ASSERT_EQ(next->size(), 4u);
  EXPECT_EQ(next->front().seq, 6);
  auto last = listEntries(*db_, "org_a", 4, next->back().id);
  ASSERT_EQ(last->size(), 2u);
  EXPECT_EQ(last->back().id, ids.front());
  EXPECT_TRUE(listEntries(*db_, "org_nobody", 4, 0)->empty());
  EXPECT_EQ(listEntries(*db_, "", 100, 0)->size(), 2u);
}

}  // namespace
}  // namespace gatehouse::audit
