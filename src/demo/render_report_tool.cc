// brook_demo_render_report <run.json> <out.html>: renders a Run (report.h's JSON format) as
// the demo's HTML report. Test support for report_browser_test.sh; exits 1 with the parse
// error on bad input, 2 on usage errors.
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "demo/report.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: brook_demo_render_report <run.json> <out.html>\n";
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  if (!in) {
    std::cerr << "cannot read " << argv[1] << "\n";
    return 1;
  }
  std::ostringstream text;
  text << in.rdbuf();
  brook::Result<brook::demo::Run> run = brook::demo::RunFromJson(text.str());
  if (!run.ok()) {
    std::cerr << argv[1] << ": " << run.status().ToString() << "\n";
    return 1;
  }
  std::ofstream out(argv[2], std::ios::binary | std::ios::trunc);
  out << brook::demo::RenderReportHtml(*run);
  out.close();
  if (!out) {
    std::cerr << "cannot write " << argv[2] << "\n";
    return 1;
  }
  return 0;
}
