#include "http/deadline.h"

#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>

#include <gatehouse/common/task.h>

#include <array>
#include <chrono>
#include <memory>
#include <vector>

namespace gatehouse::http {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = Deadline::Clock;
using std::chrono::milliseconds;
constexpr auto kAsTuple = net::as_tuple(net::use_awaitable);

// A connected pair of sockets on 127.0.0.1.
struct Pair {
  explicit Pair(net::io_context& context) : local(context), peer(context) {
    tcp::acceptor acceptor(context, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    peer.connect(acceptor.local_endpoint());
    acceptor.accept(local);
  }
  tcp::socket local;
  tcp::socket peer;
};

// What one read on a socket under a deadline saw.
struct ReadOutcome {
  boost::system::error_code ec;  // After Deadline::reason().
  std::size_t bytes = 0;
  Clock::time_point finished;
};

Task<void> readOnce(tcp::socket& socket, Deadline& deadline, ReadOutcome& outcome) {
  std::array<char, 64> piece;
  auto [ec, n] = co_await socket.async_read_some(net::buffer(piece), kAsTuple);
  outcome.ec = deadline.reason(ec);
  outcome.bytes = n;
  outcome.finished = Clock::now();
  deadline.expiresNever();  // As the server and client do after each operation.
}

// Writes one byte to `peer` after `delay`.
Task<void> writeLater(tcp::socket& peer, milliseconds delay) {
  net::steady_timer timer(peer.get_executor(), delay);
  co_await timer.async_wait(kAsTuple);
  co_await net::async_write(peer, net::buffer("x", 1), kAsTuple);
}

// One read on `pair.local` under `deadline` while the peer writes a byte after `write_after`;
// the context runs until nothing is left to do (or 5 s, should a wait be left pending).
ReadOutcome readWhileThePeerWritesLater(net::io_context& context, Pair& pair, Deadline& deadline,
                                        milliseconds write_after) {
  ReadOutcome outcome;
  net::co_spawn(context, readOnce(pair.local, deadline, outcome), net::detached);
  net::co_spawn(context, writeLater(pair.peer, write_after), net::detached);
  context.run_for(std::chrono::seconds(5));
  return outcome;
}

TEST(Deadline, APendingReadPastItsDeadlineFailsWithTimeoutAndTheSocketCloses) {
  net::io_context context;
  Pair pair(context);
  Deadline deadline(pair.local);
  ReadOutcome outcome;
  const auto at = Clock::now() + milliseconds(50);
  deadline.expiresAt(at);
  net::co_spawn(context, readOnce(pair.local, deadline, outcome), net::detached);
  context.run();
  EXPECT_EQ(outcome.ec, boost::beast::error::timeout);
  EXPECT_TRUE(deadline.expired());
  EXPECT_FALSE(pair.local.is_open());
  EXPECT_GE(outcome.finished, at);  // Never before the deadline.
}

TEST(Deadline, ADeadlineMovedLaterBeforeItPassesDoesNotFire) {
  net::io_context context;
  Pair pair(context);
  Deadline deadline(pair.local);
  ReadOutcome outcome;
  deadline.expiresAfter(milliseconds(30));          // The timer now waits for this one...
  deadline.expiresAfter(std::chrono::seconds(30));  // ...which no longer holds.
  net::co_spawn(context, readOnce(pair.local, deadline, outcome), net::detached);
  net::co_spawn(context, writeLater(pair.peer, milliseconds(150)), net::detached);
  context.run_for(std::chrono::seconds(5));
  EXPECT_FALSE(outcome.ec) << outcome.ec.message();
  EXPECT_EQ(outcome.bytes, 1U);
  EXPECT_FALSE(deadline.expired());
  EXPECT_TRUE(pair.local.is_open());
}

TEST(Deadline, ADisarmedDeadlineLeavesTheSocketOpen) {
  net::io_context context;
  Pair pair(context);
  Deadline deadline(pair.local);
  deadline.expiresAfter(milliseconds(30));
  deadline.expiresNever();
  const ReadOutcome outcome =
      readWhileThePeerWritesLater(context, pair, deadline, milliseconds(150));
  EXPECT_FALSE(outcome.ec) << outcome.ec.message();
  EXPECT_EQ(outcome.bytes, 1U);
  EXPECT_FALSE(deadline.expired());
}

// The timer waits for a far deadline; a nearer one armed later must still fire on time, and
// only its own socket closes.
TEST(Deadline, ANearerDeadlineArmedLaterFiresFirstAndClosesOnlyItsSocket) {
  net::io_context context;
  Pair far_pair(context);
  Pair near_pair(context);
  Deadline far(far_pair.local);
  Deadline near(near_pair.local);
  ReadOutcome far_outcome;
  ReadOutcome near_outcome;
  far.expiresAfter(std::chrono::seconds(30));
  near.expiresAfter(milliseconds(50));
  net::co_spawn(context, readOnce(far_pair.local, far, far_outcome), net::detached);
  net::co_spawn(context, readOnce(near_pair.local, near, near_outcome), net::detached);
  net::co_spawn(context, writeLater(far_pair.peer, milliseconds(300)), net::detached);
  context.run_for(std::chrono::seconds(5));
  EXPECT_EQ(near_outcome.ec, boost::beast::error::timeout);
  EXPECT_TRUE(near.expired());
  EXPECT_FALSE(far_outcome.ec) << far_outcome.ec.message();
  EXPECT_FALSE(far.expired());
  EXPECT_LT(near_outcome.finished, far_outcome.finished);
}

// Many sockets with deadlines spread over time, armed in no particular order: each closes, and
// none before its own deadline.
TEST(Deadline, ManyDeadlinesEachFireNoEarlierThanTheirTime) {
  net::io_context context;
  constexpr int kCount = 40;
  std::vector<std::unique_ptr<Pair>> pairs;
  std::vector<std::unique_ptr<Deadline>> deadlines;
  std::vector<ReadOutcome> outcomes(kCount);
  std::vector<Clock::time_point> due(kCount);
  const auto start = Clock::now();
  for (int i = 0; i < kCount; ++i) {
    pairs.push_back(std::make_unique<Pair>(context));
    deadlines.push_back(std::make_unique<Deadline>(pairs.back()->local));
    due[i] = start + milliseconds(20 + (i * 37) % 200);  // A scrambled order.
    deadlines.back()->expiresAt(due[i]);
    net::co_spawn(context, readOnce(pairs.back()->local, *deadlines.back(), outcomes[i]),
                  net::detached);
  }
  context.run_for(std::chrono::seconds(10));
  for (int i = 0; i < kCount; ++i) {
    EXPECT_EQ(outcomes[i].ec, boost::beast::error::timeout) << i;
    EXPECT_GE(outcomes[i].finished, due[i]) << i;
  }
}

// A connection destroyed with its deadline armed leaves the others working (and nothing for
// the sanitizers to find).
TEST(Deadline, DestroyingAnArmedDeadlineLeavesTheOthersWorking) {
  net::io_context context;
  Pair gone_pair(context);
  Pair kept_pair(context);
  auto gone = std::make_unique<Deadline>(gone_pair.local);
  Deadline kept(kept_pair.local);
  gone->expiresAfter(milliseconds(20));
  kept.expiresAfter(milliseconds(60));
  gone.reset();
  ReadOutcome outcome;
  net::co_spawn(context, readOnce(kept_pair.local, kept, outcome), net::detached);
  context.run_for(std::chrono::seconds(5));
  EXPECT_EQ(outcome.ec, boost::beast::error::timeout);
  EXPECT_TRUE(gone_pair.local.is_open());
}

// An operation started after the deadline closed the socket fails, and is reported as the
// timeout it is.
TEST(Deadline, AnOperationAfterExpiryIsReportedAsTimeout) {
  net::io_context context;
  Pair pair(context);
  Deadline deadline(pair.local);
  ReadOutcome first;
  ReadOutcome second;
  deadline.expiresAfter(milliseconds(20));
  auto reads = [&]() -> Task<void> {
    co_await readOnce(pair.local, deadline, first);
    co_await readOnce(pair.local, deadline, second);
  };
  net::co_spawn(context, reads(), net::detached);
  context.run_for(std::chrono::seconds(5));
  EXPECT_EQ(first.ec, boost::beast::error::timeout);
  EXPECT_EQ(second.ec, boost::beast::error::timeout);
}

// With no deadline armed, the timer must not keep the io_context running: a server worker's
// graceful shutdown waits for its run() to return.
TEST(Deadline, RunReturnsOnceNoDeadlineIsArmed) {
  net::io_context context;
  Pair pair(context);
  Deadline deadline(pair.local);
  deadline.expiresAfter(std::chrono::seconds(30));
  const ReadOutcome outcome =
      readWhileThePeerWritesLater(context, pair, deadline, milliseconds(20));
  EXPECT_TRUE(context.stopped()) << "run_for() ran out its time: a wait was left pending";
  EXPECT_EQ(outcome.bytes, 1U);
}

// A connection that outlives its io_context (a pooled upstream connection held by a thread's
// pool after a test's io_context went) must not reach for the io_context's service again.
TEST(Deadline, ADeadlineCanOutliveItsIoContext) {
  auto context = std::make_unique<net::io_context>();
  auto pair = std::make_unique<Pair>(*context);
  Deadline armed(pair->local);
  Deadline disarmed(pair->peer);
  armed.expiresAfter(std::chrono::seconds(30));
  disarmed.expiresAfter(std::chrono::seconds(30));
  disarmed.expiresNever();  // Still in the service's list until a sweep.
  context->poll();
  pair.reset();
  context.reset();
  armed.expiresAfter(std::chrono::seconds(1));  // Nothing to arm any more: no effect.
  EXPECT_FALSE(armed.expired());
}

}  // namespace
}  // namespace gatehouse::http
