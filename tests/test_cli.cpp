// The ksym tool end to end: output formats, and one line + exit 2 for every
// kind of bad input.
#include <doctest/doctest.h>

#include <cstdio>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "image_builder.hpp"
#include "synthetic.hpp"

namespace {

struct run_result {
    int code = -1;
    std::string out;
    std::string err;
};

run_result run(const std::string& args) {
    char errpath[] = "/tmp/ksym-cli-err-XXXXXX";
    const int fd = ::mkstemp(errpath);
    REQUIRE(fd >= 0);
    ::close(fd);
    const std::string cmd = std::string(KSYM_CLI) + " " + args + " 2>" + errpath;
    run_result r;
    std::FILE* p = ::popen(cmd.c_str(), "r");
    REQUIRE(p != nullptr);
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
    const int st = ::pclose(p);
    r.code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    std::FILE* e = std::fopen(errpath, "r");
    while (e && (n = std::fread(buf, 1, sizeof buf, e)) > 0) r.err.append(buf, n);
    if (e) std::fclose(e);
    std::remove(errpath);
    return r;
}

struct files {
    std::string dir;
    files() {
        char t[] = "/tmp/ksym-cli-XXXXXX";
        REQUIRE(::mkdtemp(t) != nullptr);
        dir = t;
    }
    ~files() { REQUIRE(std::system(("rm -rf " + dir).c_str()) == 0); }
    std::string write(const std::string& name, const std::vector<std::byte>& b) const {
        const std::string p = dir + "/" + name;
        REQUIRE(ksym_test::write_file(p, b));
        return p;
    }
    std::string write(const std::string& name, const std::string& s) const {
        return write(name, std::vector<std::byte>(reinterpret_cast<const std::byte*>(s.data()),
                                                  reinterpret_cast<const std::byte*>(s.data()) + s.size()));
    }
};

// One line on stderr that names `file`, exit status 2, nothing on stdout.
void expect_bad(const run_result& r, const std::string& file) {
    CAPTURE(r.err);
    CHECK(r.code == 2);
    CHECK(r.out.empty());
    CHECK(r.err.find(file) != std::string::npos);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
}

}  // namespace

TEST_CASE("ksym dump and lookup on an ELF vmlinux") {
    files f;
    ksym_test::synth_options so;
    so.count = 600;
    ksym::encoder_options eo;
    eo.base = 0xffffffff82000000ull;
    auto t = ksym::encode_kallsyms(ksym_test::make_symbols(so), eo);
    REQUIRE(t);
    const auto img = f.write("vmlinux", ksym_test::elf_file(*t, true, std::endian::little, 62, false));
    const auto map = f.write("System.map", ksym_test::system_map(*t, {}));

    auto r = run("dump " + img + " --system-map " + map);
    REQUIRE(r.code == 0);
    std::string want;
    for (const auto& s : t->symbols) {
        char line[600];
        std::snprintf(line, sizeof line, "%016llx %c %s\n", static_cast<unsigned long long>(s.address), s.type,
                      s.name.c_str());
        want += line;
    }
    CHECK(r.out == want);

    const auto& s = t->symbols[123];
    r = run("lookup " + img + " --system-map " + map + " " + s.name);
    CHECK(r.code == 0);
    CHECK(r.out.find(" " + std::string(1, s.type) + " ") == 16);
    char hex[40];
    std::snprintf(hex, sizeof hex, "0x%llx", static_cast<unsigned long long>(s.address + 1));
    r = run("lookup " + img + " --system-map " + map + " " + hex);
    CHECK(r.code == 0);
    CHECK(r.out.find("+0x1/0x") != std::string::npos);

    r = run("lookup " + img + " --system-map " + map + " no_such_symbol");
    CHECK(r.code == 1);
    CHECK(r.out.empty());

    // 32-bit targets print 8 digits.
    so.start = 0xc1000000;
    ksym::encoder_options e32;
    e32.word_bytes = 4;
    e32.base = 0xc2000000;
    auto t32 = ksym::encode_kallsyms(ksym_test::make_symbols(so), e32);
    REQUIRE(t32);
    const auto img32 = f.write("vmlinux32", ksym_test::elf_file(*t32, false, std::endian::little, 3, false));
    const auto map32 = f.write("System.map32", ksym_test::system_map(*t32, {}, 8));
    r = run("dump " + img32 + " --system-map " + map32);
    REQUIRE(r.code == 0);
    CHECK(r.out.substr(0, 9) == "c1000" + r.out.substr(5, 3) + " ");
}

TEST_CASE("ksym: every bad input is one line and exit 2") {
    files f;
    ksym_test::synth_options so;
    so.count = 600;
    ksym::encoder_options eo;
    eo.base = 0xffffffff82000000ull;
    auto t = ksym::encode_kallsyms(ksym_test::make_symbols(so), eo);
    REQUIRE(t);
    const auto good_elf = ksym_test::elf_file(*t, true, std::endian::little, 62, false);
    const auto img = f.write("vmlinux", good_elf);
    const auto map = f.write("System.map", ksym_test::system_map(*t, {}));

    expect_bad(run("dump " + f.dir + "/missing --system-map " + map), f.dir + "/missing");
    expect_bad(run("dump " + img + " --system-map " + f.dir + "/nomap"), f.dir + "/nomap");
    const auto junk = f.write("junk", std::string(8192, 'x'));
    expect_bad(run("dump " + junk + " --system-map " + map), junk);
    const auto empty = f.write("empty", std::string());
    expect_bad(run("dump " + empty + " --system-map " + map), empty);
    const auto nokallsyms = f.write("nokallsyms.map", std::string("ffffffff81000000 T _text\n"));
    expect_bad(run("dump " + img + " --system-map " + nokallsyms), nokallsyms);
    const auto badmap = f.write("bad.map", std::string("this is not a map\n"));
    expect_bad(run("dump " + img + " --system-map " + badmap), badmap);

    // Truncated image: the table runs past the end of the file.
    auto cut = good_elf;
    cut.resize(cut.size() / 2);
    const auto truncated = f.write("truncated", cut);
    expect_bad(run("dump " + truncated + " --system-map " + map), truncated);

    // The map places the arrays outside the image.
    std::string far = ksym_test::system_map(*t, {});
    for (std::size_t at = far.find("ffffffff82"); at != std::string::npos; at = far.find("ffffffff82", at + 1))
        far[at + 8] = '9';
    const auto farmap = f.write("far.map", far);
    expect_bad(run("dump " + img + " --system-map " + farmap), img);

    // Corrupt names: zero-length records in the middle of the table.
    auto corrupt = good_elf;
    const std::size_t names_off = 0x1000 + static_cast<std::size_t>(t->layout.names - t->base);
    for (std::size_t k = 2000; k < 2400; ++k) corrupt[names_off + k] = std::byte{0};
    const auto bad_names = f.write("badnames", corrupt);
    expect_bad(run("dump " + bad_names + " --system-map " + map), bad_names);

    // A token table with no terminator in sight.
    auto tok = good_elf;
    const std::size_t tt_off = 0x1000 + static_cast<std::size_t>(t->layout.token_index - t->base);
    for (std::size_t k = 0; k < 512; ++k) tok[tt_off + k] = std::byte{0xff};
    const auto bad_tokens = f.write("badtokens", tok);
    expect_bad(run("dump " + bad_tokens + " --system-map " + map), bad_tokens);

    // Usage errors.
    CHECK(run("").code == 2);
    CHECK(run("dump " + img).code == 2);
    CHECK(run("frobnicate").code == 2);
}
