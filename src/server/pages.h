// The server's pages: HTML rendered from the store's rows and a crash's stored JSON, every
// string from a crash escaped (html.h), no script. Kept apart from HTTP: each page is a function
// of its data.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "corekit/base/result.h"
#include "corekit/store/store.h"

namespace corekit::server {

// The list pages' and the API's query: ?exe=&host=&signal=&signature=&since=&until=&sort=
// &limit=&offset= (since/until as YYYY-MM-DD[THH:MM[:SS]] UTC or seconds since the epoch).
struct Query {
  store::Filter filter;
  store::GroupOrder order = store::GroupOrder::kCount;
  std::size_t limit = 50, offset = 0;
  std::map<std::string, std::string> given;  // the parameters as given, for links and forms
};
inline constexpr std::size_t kMaxLimit = 500;
Result<Query> ParseQuery(const std::multimap<std::string, std::string>& params);

inline constexpr std::size_t kSparklineDays = 30;

std::string GroupsPage(const store::GroupPage& page, const std::vector<std::vector<std::size_t>>& per_day,
                       const Query& query);
std::string CrashesPage(const std::vector<store::Crash>& crashes, std::size_t total, const Query& query);
// `details` is the crash's stored JSON ({ "proc", "report", ... }); `base_url` the server's.
std::string CrashPage(const store::Crash& crash, const nlohmann::json& details, const std::string& base_url,
                      bool tokens);
std::string LoginPage(bool failed);
std::string ErrorPage(int status, const std::string& message);

extern const char* const kStyleSheet;

}  // namespace corekit::server
