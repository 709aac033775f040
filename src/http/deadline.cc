#include "deadline.h"

#include <boost/asio/error.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/query.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/error.hpp>

#include <algorithm>
#include <optional>

namespace gatehouse::http {

namespace net = boost::asio;
using Clock = Deadline::Clock;

/// The armed deadlines of one io_context and the timer that waits for the earliest of them.
class DeadlineService final : public net::execution_context::service {
 public:
  using key_type = DeadlineService;

  explicit DeadlineService(net::execution_context& context)
      : net::execution_context::service(context) {}

  void arm(Deadline& deadline, Clock::time_point at) {
    deadline.at_ = at;
    if (!deadline.linked_) {
      link(deadline);
    }
    if (at < waiting_for_ && !shut_down_) {
      if (!timer_) {
        timer_.emplace(deadline.socket_.get_executor());
      }
      waitUntil(at);
    }
  }

  void disarm(Deadline& deadline) {
    deadline.at_ = Clock::time_point::max();
    if (deadline.linked_) {
      unlink(deadline);
      if (armed_ == nullptr && waiting_for_ != Clock::time_point::max() && !idle_check_posted_) {
        postIdleCheck();
      }
    }
  }

 private:
  void shutdown() override {
    // Pending waits are destroyed with the io_context's other handlers; none will run.
    timer_.reset();
    shut_down_ = true;
  }

  void link(Deadline& deadline) {
    deadline.prev_ = nullptr;
    deadline.next_ = armed_;
    if (armed_ != nullptr) {
      armed_->prev_ = &deadline;
    }
    armed_ = &deadline;
    deadline.linked_ = true;
  }

  void unlink(Deadline& deadline) {
    if (deadline.prev_ != nullptr) {
      deadline.prev_->next_ = deadline.next_;
    } else {
      armed_ = deadline.next_;
    }
    if (deadline.next_ != nullptr) {
      deadline.next_->prev_ = deadline.prev_;
    }
    deadline.prev_ = deadline.next_ = nullptr;
    deadline.linked_ = false;
  }

  void waitUntil(Clock::time_point at) {
    waiting_for_ = at;
    // Re-arming cancels the wait in progress; its handler then sees operation_aborted.
    timer_->expires_at(at);
    timer_->async_wait([this](boost::system::error_code ec) {
      if (ec != net::error::operation_aborted) {
        sweep();
      }
    });
  }

  // A wait left pending with no deadline armed would keep the io_context's run() from returning
  // (a worker's graceful shutdown waits for exactly that). It is cancelled once the handler
  // that disarmed the last deadline is done, not on the spot: a request disarms one deadline
  // and arms the next in the same handler, and cancelling in between would cost the timer
  // operations this class exists to save.
  void postIdleCheck() {
    idle_check_posted_ = true;
    net::post(timer_->get_executor(), [this] {
      idle_check_posted_ = false;
      if (armed_ == nullptr && waiting_for_ != Clock::time_point::max()) {
        waiting_for_ = Clock::time_point::max();
        timer_->cancel();
      }
    });
  }

  // Closes the sockets whose deadlines have passed, then waits for the earliest of the rest.
  void sweep() {
    waiting_for_ = Clock::time_point::max();
    const auto now = Clock::now();
    auto next = Clock::time_point::max();
    for (Deadline* deadline = armed_; deadline != nullptr;) {
      Deadline* const following = deadline->next_;
      if (deadline->at_ <= now) {
        unlink(*deadline);
        deadline->expired_ = true;
        // Closing posts the pending operation's completion; it does not run it here, so the
        // list is not touched under this loop.
        boost::system::error_code ignored;
        deadline->socket_.close(ignored);
      } else {
        next = std::min(next, deadline->at_);
      }
      deadline = following;
    }
    if (next != Clock::time_point::max()) {
      waitUntil(next);
    }
  }

  Deadline* armed_ = nullptr;
  std::optional<net::steady_timer> timer_;
  Clock::time_point waiting_for_ = Clock::time_point::max();  // max: no wait in progress.
  bool idle_check_posted_ = false;
  bool shut_down_ = false;
};

Deadline::Deadline(net::ip::tcp::socket& socket)
    : service_(net::use_service<DeadlineService>(
          net::query(socket.get_executor(), net::execution::context))),
      socket_(socket) {}

Deadline::~Deadline() {
  if (linked_) {
    service_.disarm(*this);
  }
}

void Deadline::expiresAt(Clock::time_point at) {
  service_.arm(*this, at);
}

void Deadline::expiresNever() {
  service_.disarm(*this);
}

boost::system::error_code Deadline::reason(boost::system::error_code ec) const {
  if (ec && expired_) {
    return boost::beast::error::timeout;
  }
  return ec;
}

}  // namespace gatehouse::http
