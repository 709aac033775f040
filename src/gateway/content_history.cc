#include <gatehouse/common/json_escape.h>
#include <gatehouse/common/log.h>
#include <gatehouse/gateway/content_history.h>
#include <gatehouse/keyring/keyring.h>
#include <gatehouse/store/database.h>
#include <gatehouse/tenancy/tenant_store.h>

namespace gatehouse::gateway {

std::string contentHistoryPlaintext(const ContentHistoryEntry& entry) {
  std::string text;
  text.reserve(entry.request.size() + entry.response.size() + 32);
  text += R"({"request":")";
  appendJsonEscaped(text, entry.request.reveal());
  text += R"(","response":")";
  appendJsonEscaped(text, entry.response.reveal());
  text += R"("})";
  return text;
}

ContentHistoryWriter::ContentHistoryWriter(std::unique_ptr<store::Database> db,
                                           keyring::Keyring& keyring, std::size_t max_queue)
    : db_(std::move(db)),
      keyring_(keyring),
      queue_(max_queue, [this](std::vector<ContentHistoryEntry>& batch) { persist(batch); }) {}

ContentHistoryWriter::~ContentHistoryWriter() {
  stop();
}

void ContentHistoryWriter::record(ContentHistoryEntry entry) {
  std::string request_id = entry.request_id;
  if (!queue_.push(std::move(entry))) {
    log::error("content_history_queue_full", {{"request_id", request_id}});
  }
}

void ContentHistoryWriter::persist(std::vector<ContentHistoryEntry>& batch) {
  for (const ContentHistoryEntry& entry : batch) {
    SecretString plaintext(contentHistoryPlaintext(entry));
    auto sealed = keyring_.seal(entry.org_id, plaintext.reveal(),
                                tenancy::contentHistoryAad(entry.org_id, entry.request_id));
    auto insert = db_->prepare(
        "INSERT INTO content_history (org_id, project_id, request_id, created_at, sealed) "
        "VALUES (?1, ?2, ?3, ?4, ?5)");
    Result<void> stored = sealed ? Result<void>() : Result<void>(sealed.error());
    if (stored && insert) {
      insert->bind(1, entry.org_id)
          .bind(2, entry.project_id)
          .bind(3, entry.request_id)
          .bind(4, entry.created_at)
          .bindBlob(5, *sealed);
      stored = insert->run();
    } else if (stored) {
      stored = insert.error();
    }
    if (!stored) {
      // An organisation deleted meanwhile has no data key and no row to attach to: its
      // content is dropped, which is what deletion asked for.
      log::warn("content_history_not_stored",
                {{"request_id", entry.request_id}, {"error", stored.error().message}});
    }
  }
}

}  // namespace gatehouse::gateway
