#pragma once

// Reading Project Wycheproof vector files from ../shared/vectors/wycheproof.
#include <gatehouse/crypto/encoding.h>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace gatehouse::testing {

/// The parsed vector file `name` (e.g. "aes_gcm_test.json"); throws when it is missing, so a
/// test cannot pass without its vectors.
inline boost::json::object wycheproofFile(std::string_view name) {
  const std::string path = GATEHOUSE_SHARED_DIR "/vectors/wycheproof/" + std::string(name);
  std::ifstream in(path);
  if (!in) {
    throw std::runtime_error("vectors missing: " + path);
  }
  std::stringstream text;
  text << in.rdbuf();
  return boost::json::parse(text.str()).as_object();
}

/// The bytes of a vector's hex field; throws on malformed hex (a broken vector file).
inline std::string hexField(const boost::json::object& test, std::string_view field) {
  const auto& hex = test.at(field).as_string();
  auto bytes = crypto::fromHex(std::string_view(hex.data(), hex.size()));
  if (!bytes) {
    throw std::runtime_error("bad hex in vector field " + std::string(field));
  }
  return *bytes;
}

}  // namespace gatehouse::testing
