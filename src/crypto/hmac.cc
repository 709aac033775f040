#include <gatehouse/crypto/hmac.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>

#include <atomic>
#include <stdexcept>

namespace gatehouse::crypto {
namespace {

struct MacCtxFree {
  void operator()(EVP_MAC_CTX* ctx) const { EVP_MAC_CTX_free(ctx); }
};
using MacCtx = std::unique_ptr<EVP_MAC_CTX, MacCtxFree>;

// Each thread's working copy of the last key it used. `serial` names the key rather than its
// address, so a key freed and another allocated in its place is never mistaken for it.
struct ThreadContext {
  std::uint64_t serial = 0;
  MacCtx ctx;
};
thread_local ThreadContext t_context;

std::atomic<std::uint64_t> g_next_serial{1};

}  // namespace

struct HmacSha256Key::Template {
  std::uint64_t serial;
  MacCtx ctx;
};

Sha256Digest hmacSha256(std::string_view key, std::string_view message) {
  Sha256Digest digest{};
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest.data(),
       &length);
  return digest;
}

HmacSha256Key::HmacSha256Key(std::string_view key)
    : template_(std::make_unique<Template>(Template{g_next_serial.fetch_add(1), nullptr})) {
  EVP_MAC* hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (hmac == nullptr) {
    throw std::runtime_error("OpenSSL has no HMAC implementation");
  }
  template_->ctx.reset(EVP_MAC_CTX_new(hmac));
  EVP_MAC_free(hmac);  // The context holds its own reference.
  char digest_name[] = "SHA256";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
      OSSL_PARAM_construct_end()};
  if (!template_->ctx ||
      EVP_MAC_init(template_->ctx.get(), reinterpret_cast<const unsigned char*>(key.data()),
                   key.size(), params) != 1) {
    throw std::runtime_error("could not key HMAC-SHA-256");
  }
}

HmacSha256Key::~HmacSha256Key() {
  if (t_context.serial == template_->serial) {
    // This thread's copy goes now. Another thread's goes when it next uses a different key
    // or exits; its serial can never match a later key.
    t_context = {};
  }
}

Sha256Digest HmacSha256Key::mac(std::string_view message) const {
  ThreadContext& local = t_context;
  bool ready = false;
  if (local.serial == template_->serial) {
    // A NULL key re-initialises the context with the key it already holds.
    ready = EVP_MAC_init(local.ctx.get(), nullptr, 0, nullptr) == 1;
  }
  if (!ready) {
    local.ctx.reset(EVP_MAC_CTX_dup(template_->ctx.get()));
    local.serial = local.ctx ? template_->serial : 0;
  }
  Sha256Digest digest{};
  std::size_t length = 0;
  if (!local.ctx ||
      EVP_MAC_update(local.ctx.get(), reinterpret_cast<const unsigned char*>(message.data()),
                     message.size()) != 1 ||
      EVP_MAC_final(local.ctx.get(), digest.data(), &length, digest.size()) != 1 ||
      length != digest.size()) {
    // Only an allocation inside OpenSSL fails here; like std::bad_alloc, it is not a verdict.
    local = {};
    throw std::runtime_error("HMAC-SHA-256 failed");
  }
  return digest;
}

std::string_view toHex(const Sha256Digest& digest, std::array<char, 64>& buffer) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (std::size_t i = 0; i < digest.size(); ++i) {
    buffer[2 * i] = kHex[digest[i] >> 4];
    buffer[2 * i + 1] = kHex[digest[i] & 0xF];
  }
  return {buffer.data(), buffer.size()};
}

}  // namespace gatehouse::crypto
