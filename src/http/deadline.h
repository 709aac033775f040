#pragma once

// Per-connection deadlines for the server's sessions and the client's upstream connections,
// kept by one timer per io_context.
//
// Beast's tcp_stream arms a timer for every read and write made under an expiry and cancels it
// when the operation completes. A proxied request makes about eight of those (the caller's idle
// wait, header, body and response; the upstream write and read), each a timer-queue insert, a
// removal and a cancelled wait handler to run: about 7% of the worker's instructions per
// request. Here a deadline is a time stored beside the socket. One timer per io_context waits
// for the earliest deadline that may have passed, closes the sockets whose deadlines have, and
// waits again for the next. Moving a deadline later, which is what every request does, touches
// only the stored time; the timer is re-armed only for a deadline earlier than any it waits for.
//
// A socket closed by its deadline completes its pending operation with operation_aborted (and
// any later one with bad_descriptor); `Deadline::reason()` turns either into
// beast::error::timeout, as a tcp_stream would have reported it.
//
// Not thread-safe: the deadlines of one io_context are used from the one thread that runs it
// (each server worker and its upstream client run that way).
//
// Included by server.cc and client.cc only (STYLE: Asio templates stay out of wide headers).

#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>

namespace gatehouse::http {

class DeadlineService;

/// The deadline of one socket. The socket must outlive it; it must not move.
class Deadline {
 public:
  using Clock = std::chrono::steady_clock;

  explicit Deadline(boost::asio::ip::tcp::socket& socket);
  ~Deadline();
  Deadline(const Deadline&) = delete;
  Deadline& operator=(const Deadline&) = delete;

  /// The socket is closed if it is still open at `at`; replaces any earlier deadline.
  void expiresAt(Clock::time_point at);
  void expiresAfter(Clock::duration after) { expiresAt(Clock::now() + after); }
  void expiresNever();

  /// Whether the deadline passed and closed the socket. It stays closed: the connection is over.
  bool expired() const { return expired_; }

  /// `ec` as the caller should see it: beast::error::timeout when the deadline closed the
  /// socket under the operation that failed.
  boost::system::error_code reason(boost::system::error_code ec) const;

 private:
  friend class DeadlineService;

  DeadlineService* service_;  // Null once the io_context has shut its services down.
  boost::asio::ip::tcp::socket& socket_;
  Clock::time_point at_ = Clock::time_point::max();  // max: not armed.
  bool expired_ = false;
  // The service's list of deadlines that may be armed. A disarmed one stays in it until the
  // next sweep, so arming and disarming touch no other connection's memory.
  bool linked_ = false;
  Deadline* prev_ = nullptr;
  Deadline* next_ = nullptr;
};

}  // namespace gatehouse::http
