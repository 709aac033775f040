#pragma once

// The one Asio header allowed outside src/http: the coroutine return type. It pulls in no
// socket, stream or Beast template, so modules that write request-path coroutines (gateway,
// providers' callers) do not pay Asio's compile cost.
#include <boost/asio/awaitable.hpp>

namespace gatehouse {

/// A coroutine running on a worker's io_context.
template <class T = void>
using Task = boost::asio::awaitable<T>;

}  // namespace gatehouse
