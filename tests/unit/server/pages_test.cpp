// The server's pages as functions of their data: what a crash holds is escaped wherever it
// lands (text, attributes, URLs, <pre>), malformed stored JSON renders without failing, the
// query is validated, and the pictures stay bounded.
#include "pages.h"

#include <gtest/gtest.h>

#include "html.h"
#include "svg.h"

namespace corekit::server {
namespace {

const std::string kHostile = "<script>alert(1)</script>\" onmouseover=\"alert(2)' javascript:alert(3) \x1b[31mRED";

// No markup from the data: no element or attribute it could have opened.
void ExpectInert(const std::string& html) {
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("\" onmouseover=\""), std::string::npos);
  EXPECT_EQ(html.find("href=\"javascript:"), std::string::npos);
  EXPECT_EQ(html.find('\x1b'), std::string::npos);
}

TEST(Html, EscapesMarkupQuotesAndTerminalControls) {
  EXPECT_EQ(Html("<a href=\"x\">'&'</a>"), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  EXPECT_EQ(Html("\x1b[31m\nx"), "\\x1b[31m\\nx");
  EXPECT_EQ(HtmlLines("a\nb<"), "a\nb&lt;");
  EXPECT_EQ(UrlEncode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
  EXPECT_EQ(ShellQuote("it's"), "'it'\\''s'");
}

TEST(Query, ParsesFiltersAndRefusesWhatIsNotOne) {
  auto q = ParseQuery({{"exe", "/bin/a"}, {"signal", "SIGSEGV"}, {"since", "2026-12-01"}, {"until", "2026-12-01"},
                       {"limit", "20"}, {"offset", "40"}, {"sort", "last"}, {"junk", "x"}});
  ASSERT_TRUE(q) << q.error().message;
  EXPECT_EQ(q->filter.executable, "/bin/a");
  EXPECT_EQ(q->filter.signal, 11);
  EXPECT_EQ(*q->filter.until - *q->filter.since, 86399);
  EXPECT_EQ(q->limit, 20u);
  EXPECT_EQ(q->offset, 40u);
  EXPECT_EQ(q->order, store::GroupOrder::kLastSeen);
  EXPECT_EQ(q->given.count("junk"), 0u);
  EXPECT_EQ(ParseQuery({{"signal", "6"}})->filter.signal, 6);
  EXPECT_FALSE(ParseQuery({{"limit", "100000"}}));
  EXPECT_FALSE(ParseQuery({{"limit", "12abc"}}));
  EXPECT_FALSE(ParseQuery({{"offset", "-1"}}));
  EXPECT_FALSE(ParseQuery({{"signal", "SIGNOPE"}}));
  EXPECT_FALSE(ParseQuery({{"since", "yesterday"}}));
  EXPECT_FALSE(ParseQuery({{"sort", "random"}}));
}

TEST(Pages, EscapeEverythingACrashSays) {
  store::Crash c;
  c.id = "0123456789";
  c.time = 1'800'000'000;
  c.executable = "/tmp/" + kHostile;
  c.command_line = kHostile + " --x=" + kHostile;
  c.hostname = kHostile;
  c.signal = 11;
  c.signature = kHostile + " | main";
  c.report_kind = kHostile;
  c.core = "compact";
  c.compact_file = c.id + ".compact.core.zst";
  c.container = kHostile;
  const nlohmann::json report = {
      {"crash", {{"summary", kHostile}, {"message", kHostile + "\nline 2"}, {"kind", kHostile}}},
      {"signal", {{"code_name", kHostile}, {"fault_address", "0x10"}}},
      {"threads", {{{"tid", 7}, {"crashed", true}, {"name", kHostile}, {"sp", "0x7ff000"},
                    {"registers", {{{"name", kHostile}, {"value", kHostile}}}},
                    {"frames", {{{"index", 0}, {"pc", kHostile}, {"function", kHostile}, {"file", kHostile}, {"line", 3},
                                 {"module", kHostile}, {"source", kHostile}}}}}}},
      {"modules", {{{"name", kHostile}, {"start", kHostile}, {"end", kHostile}, {"build_id", kHostile},
                    {"debug_file", kHostile}, {"debug_origin", kHostile}}}},
      {"mappings", {{{"start", "0x1000"}, {"end", "0x3000"}, {"perms", kHostile}, {"path", "/" + kHostile}}}}};
  const nlohmann::json details = {{"report", report}, {"proc", {{"cgroup", kHostile}, {"limits", kHostile}, {"maps", kHostile}}}};
  const std::string page = CrashPage(c, details, "http://127.0.0.1:8123/", true);
  ExpectInert(page);
  EXPECT_NE(page.find("&lt;script&gt;alert(1)&lt;/script&gt;&quot; onmouseover=&quot;alert(2)&#39;"), std::string::npos);
  EXPECT_NE(page.find("\\x1b[31mRED"), std::string::npos);
  // The command lines quote the executable for the shell, then for HTML.
  EXPECT_NE(page.find("gdb &#39;/tmp/&lt;script&gt;"), std::string::npos);

  store::GroupPage groups;
  groups.total = 1;
  groups.groups.push_back({kHostile, 2, 1, 2, {kHostile}, {kHostile}});
  Query q;
  q.given["exe"] = kHostile;
  ExpectInert(GroupsPage(groups, {{0, 1, 2}}, q));
  ExpectInert(CrashesPage({c}, 1, q));
  ExpectInert(ErrorPage(404, kHostile));
}

TEST(Pages, RenderStoredJsonOfAnyShape) {
  store::Crash c;
  c.id = "0123456789";
  for (const nlohmann::json& details :
       {nlohmann::json(nullptr), nlohmann::json(7), nlohmann::json::array(), nlohmann::json({{"report", "x"}}),
        nlohmann::json({{"report", {{"threads", 3}, {"modules", {1, 2}}, {"mappings", {{{"start", 5}}}}}}}),
        nlohmann::json({{"report", {{"threads", {{{"crashed", "yes"}, {"frames", {nullptr, 1, "x"}}}}},
                                    {"mappings", {{{"start", "0x9"}, {"end", "0x1"}}, {{"start", "0x"}, {"end", "0xzz"}}}}}}})}) {
    const std::string page = CrashPage(c, details, "http://127.0.0.1/", false);
    EXPECT_NE(page.find("</html>"), std::string::npos) << details.dump();
  }
}

TEST(Svg, SparklineAndAddressSpaceAreBounded) {
  const std::string spark = Sparkline({0, 3, 0, 1});
  EXPECT_NE(spark.find("4 crashes in the last 4 days"), std::string::npos);
  EXPECT_EQ(Sparkline({}).find("NaN"), std::string::npos);
  std::vector<Region> regions;
  for (std::uint64_t i = 0; i < 5000; ++i) regions.push_back({i * 0x2000, i * 0x2000 + 0x1000, "rw-p", "", "anonymous"});
  const std::string svg = AddressSpace(regions, {{0x1800, "fault", true}}, 100);
  EXPECT_NE(svg.find("4900 more mappings"), std::string::npos);
  EXPECT_LT(svg.size(), 100'000u);
  EXPECT_EQ(RegionKind({0, 0x1000, "---p", "", ""}, {}, {}), "guard");
  EXPECT_EQ(RegionKind({0, 0x1000, "rw-p", "", ""}, {0x800}, {}), "stack");
  EXPECT_EQ(RegionKind({0, 0x1000, "rw-p", "", ""}, {}, {{0, "[heap]"}}), "heap");
  EXPECT_EQ(RegionKind({0, 0x1000, "r-xp", "/bin/x", ""}, {}, {}), "file");
}

}  // namespace
}  // namespace corekit::server
