#pragma once

#include <gatehouse/common/result.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>

namespace gatehouse::config {
struct Config;
}
namespace gatehouse::http {
class EgressGuard;
}
namespace gatehouse::store {
class Database;
}

namespace gatehouse::gateway {

class Router;

/// What the data plane knows of each organisation beyond its keys: the routes of organisations that
/// brought their own providers or models: for each, a Router over the instance's providers plus the
/// organisation's own, with the organisation's models first. A tenant provider's base URL is
/// checked by the egress policy every time the routes are built and the checked addresses are
/// pinned, so the data plane connects to exactly what was checked (no DNS-rebinding window).
/// Organisations without routes of their own use the instance router. Rebuilt by refresh() when
/// tenancy data changes, and at least every `recheck_interval` so DNS changes are re-checked.
class OrgRoutes {
 public:
  /// `db` is owned and used only from refresh(); the rest is borrowed.
  OrgRoutes(std::unique_ptr<store::Database> db, const config::Config& config,
            const http::EgressGuard& egress, std::chrono::milliseconds recheck_interval);
  ~OrgRoutes();

  /// What a request of one organisation needs to know, read from one snapshot.
  struct OrgView {
    /// The organisation's own router, or null when it has none; holding it keeps the router
    /// alive for the request.
    std::shared_ptr<const Router> router;
    /// Whether the organisation opted in to content history.
    bool content_history = false;
  };
  /// Lock-free; a settings or route change applies within one refresh.
  OrgView forOrg(std::string_view org_id) const;

  /// Rebuilds when the tenancy counter moved or the interval passed. Called from one thread.
  /// A provider that fails the egress check is left out (its models' deployments with it)
  /// and logged; it never makes the whole refresh fail.
  Result<void> refresh();

 private:
  struct Map {
    std::map<std::string, std::shared_ptr<const Router>, std::less<>> routers;
    std::set<std::string, std::less<>> content_history;
  };
  std::unique_ptr<store::Database> db_;
  const config::Config& config_;
  const http::EgressGuard& egress_;
  const std::chrono::milliseconds recheck_interval_;
  std::atomic<std::shared_ptr<const Map>> routes_;
  std::int64_t seen_counter_ = -1;                    // Touched only by refresh().
  std::chrono::steady_clock::time_point next_check_;  // Touched only by refresh().
};

}  // namespace gatehouse::gateway
