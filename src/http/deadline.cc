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
    if (at == Clock::time_point::max()) {
      disarm(deadline);
      return;
    }
    if (deadline.at_ == Clock::time_point::max()) {
      ++armed_count_;
    }
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
    if (deadline.at_ == Clock::time_point::max()) {
      return;
    }
    deadline.at_ = Clock::time_point::max();
    if (--armed_count_ == 0 && waiting_for_ != Clock::time_point::max() && !idle_check_posted_) {
      postIdleCheck();
    }
  }

  // A deadline going away.
  void forget(Deadline& deadline) {
    disarm(deadline);
    if (deadline.linked_) {
      unlink(deadline);
    }
  }

 private:
  void shutdown() override {
    // Pending waits are destroyed with the io_context's other handlers; none will run. The
    // deadlines that outlive their io_context must not reach for this service again.
    timer_.reset();
    shut_down_ = true;
    while (armed_ != nullptr) {
      Deadline& deadline = *armed_;
      unlink(deadline);
      deadline.service_ = nullptr;
    }
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
      if (armed_count_ == 0 && waiting_for_ != Clock::time_point::max()) {
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
      if (deadline->at_ == Clock::time_point::max()) {
        unlink(*deadline);  // Disarmed since it was linked.
      } else if (deadline->at_ <= now) {
        unlink(*deadline);
        deadline->at_ = Clock::time_point::max();
        --armed_count_;
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

  Deadline* armed_ = nullptr;    // The list: armed deadlines, and disarmed ones not yet swept.
  std::size_t armed_count_ = 0;  // How many in it are armed.
  std::optional<net::steady_timer> timer_;
  Clock::time_point waiting_for_ = Clock::time_point::max();  // max: no wait in progress.
  bool idle_check_posted_ = false;
  bool shut_down_ = false;
};

Deadline::Deadline(net::ip::tcp::socket& socket)
    : service_(&net::use_service<DeadlineService>(
          net::query(socket.get_executor(), net::execution::context))),
      socket_(socket) {}

Deadline::~Deadline() {
  // An armed deadline is always linked; one that is not has nothing to undo (and its service
  // may be gone with the io_context).
  if (linked_ && service_ != nullptr) {
    service_->forget(*this);
  }
}

void Deadline::expiresAt(Clock::time_point at) {
  if (service_ != nullptr) {
    service_->arm(*this, at);
  }
}

void Deadline::expiresNever() {
  if (at_ != Clock::time_point::max() && service_ != nullptr) {
    service_->disarm(*this);
  }
}

boost::system::error_code Deadline::reason(boost::system::error_code ec) const {
  if (ec && expired_) {
    return boost::beast::error::timeout;
  }
  return ec;
}

}  // namespace gatehouse::http
