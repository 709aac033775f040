// The HTTP front of the admin service: /admin/v1/... is authenticated with an admin key and
// handed to AdminApi; every other path goes to the data plane untouched.

#include <gatehouse/admin/admin_api.h>
#include <gatehouse/common/secret.h>
#include <gatehouse/http/types.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace gatehouse::admin {
namespace {

constexpr std::string_view kAdminPrefix = "/admin/";

std::string_view bearerToken(const http::Request& request) {
  std::string_view authorization = request.header("authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.size() <= kBearer.size() ||
      !http::equalsIgnoreCase(authorization.substr(0, kBearer.size()), kBearer)) {
    return {};
  }
  authorization.remove_prefix(kBearer.size());
  while (!authorization.empty() && authorization.front() == ' ') {
    authorization.remove_prefix(1);
  }
  return authorization;
}

http::Response toResponse(ApiReply reply) {
  http::Response response;
  response.status = reply.status;
  response.content_type = std::move(reply.content_type);
  response.body = std::move(reply.body);
  // Admin answers carry tenant data and one-time keys: never cached, never sniffed.
  response.headers.push_back({"cache-control", "no-store"});
  response.headers.push_back({"x-content-type-options", "nosniff"});
  return response;
}

class AdminRouter final : public http::Handler {
 public:
  AdminRouter(AdminApi& admin, std::shared_ptr<http::Handler> data_plane)
      : admin_(admin), data_plane_(std::move(data_plane)) {}

  // Not a coroutine: a data-plane request goes straight to its handler's coroutine, without a
  // frame here sized for the admin call's state.
  Task<void> handle(const http::Request& request, http::ResponseWriter& writer) override {
    if (!request.path().starts_with(kAdminPrefix)) {
      return data_plane_->handle(request, writer);
    }
    return handleAdmin(request, writer);
  }

  http::Response rejection(std::string_view target, int status,
                           std::string_view message) const override {
    if (!target.starts_with(kAdminPrefix)) {
      return data_plane_->rejection(target, status, message);
    }
    boost::json::object error{
        {"type", status == 413 ? "request_too_large" : "invalid_request_error"},
        {"message", message}};
    return toResponse(ApiReply{status, "application/json",
                               boost::json::serialize(boost::json::object{{"error", error}})});
  }

 private:
  Task<void> handleAdmin(const http::Request& request, http::ResponseWriter& writer) {
    const std::string_view path = request.path();
    if (path == "/admin/v1/openapi.json" && request.method() == "GET") {
      // Built into a named local: GCC 12 destroys a braced temporary in a co_await operand
      // twice.
      http::Response document =
          toResponse(ApiReply{200, "application/json", std::string(openApiDocument())});
      co_await writer.send(std::move(document));
      co_return;
    }
    ApiRequest call;
    call.method = std::string(request.method());
    call.path = std::string(path);
    const std::string_view target = request.target();
    if (const auto question = target.find('?'); question != std::string_view::npos) {
      call.query = std::string(target.substr(question + 1));
    }
    call.body = std::string(request.body());
    call.source_ip = std::string(request.remoteAddress());
    call.request_id = std::string(request.requestId());
    const std::string_view presented = bearerToken(request);
    // The admin service blocks on SQLite (and on DNS for egress checks): it runs on its own
    // thread, so the worker's other connections (the data plane) never wait for it.
    ApiReply reply = co_await boost::asio::co_spawn(
        pool_,
        [&]() -> Task<ApiReply> {
          auto principal = admin_.authenticate(presented, call);
          co_return std::holds_alternative<Principal>(principal)
              ? admin_.handle(std::get<Principal>(principal), call)
              : std::get<ApiReply>(std::move(principal));
        },
        boost::asio::use_awaitable);
    // The body may have held a provider key in clear.
    secureWipe(call.body.data(), call.body.size());
    http::Response response = toResponse(std::move(reply));
    co_await writer.send(std::move(response));
  }

  AdminApi& admin_;
  std::shared_ptr<http::Handler> data_plane_;
  boost::asio::thread_pool pool_{1};  // AdminApi serialises its calls anyway.
};

}  // namespace

std::shared_ptr<http::Handler> makeAdminRouter(AdminApi& admin,
                                               std::shared_ptr<http::Handler> data_plane) {
  return std::make_shared<AdminRouter>(admin, std::move(data_plane));
}

}  // namespace gatehouse::admin
