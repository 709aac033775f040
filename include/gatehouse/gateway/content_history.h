#pragma once

#include <gatehouse/common/background_queue.h>
#include <gatehouse/common/secret.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace gatehouse::keyring {
class Keyring;
}
namespace gatehouse::store {
class Database;
}

namespace gatehouse::gateway {

/// One request's content, for an organisation that opted in to content history. The texts
/// are secrets: wiped when the entry goes.
struct ContentHistoryEntry {
  std::string org_id;
  std::string project_id;
  std::string request_id;
  std::int64_t created_at = 0;
  SecretString request;   ///< The caller's request body, as sent.
  SecretString response;  ///< What the caller received (a stream's bytes, capped).
};

/// Where the data plane hands content history. Must not block.
class ContentHistorySink {
 public:
  virtual ~ContentHistorySink() = default;
  virtual void record(ContentHistoryEntry entry) = 0;
};

/// Seals each entry with its organisation's data key (AAD: organisation and request id) and
/// stores it, from a background thread on its own connection. Nothing is stored in clear,
/// retention deletes it with the usage records, and deleting the organisation shreds it.
class ContentHistoryWriter final : public ContentHistorySink {
 public:
  ContentHistoryWriter(std::unique_ptr<store::Database> db, keyring::Keyring& keyring,
                       std::size_t max_queue);
  ~ContentHistoryWriter() override;

  void record(ContentHistoryEntry entry) override;
  /// Stores everything queued and stops the writer thread.
  void stop() { queue_.stop(); }

 private:
  void persist(std::vector<ContentHistoryEntry>& batch);

  std::unique_ptr<store::Database> db_;
  keyring::Keyring& keyring_;
  BackgroundQueue<ContentHistoryEntry> queue_;  // Last: its thread uses the members above.
};

/// The sealed plaintext of an entry: {"request": "...", "response": "..."}.
std::string contentHistoryPlaintext(const ContentHistoryEntry& entry);

}  // namespace gatehouse::gateway
