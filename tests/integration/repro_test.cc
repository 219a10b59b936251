// Reproducing archives from the command line: `verify` re-evaluates
// archived points and finds a changed one; `run --from-archive` re-runs a
// sweep whose spec and preset files are gone into the same /points;
// `merge` of a 4-way sharded run gives the unsharded run's tables and
// refuses what is not the shards of one spec; `diff` says what differs.
//
// "The same table": the rows sorted, every column but eval_s (how long the
// evaluation took) and worker_rank (which rank evaluated it), which differ
// from run to run by nature.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "astrasweep/base/temp_dir.h"
#include "astrasweep/store/table.h"
#include "shell.h"
#include "sorted_rows.h"

namespace astrasweep {
namespace {

namespace fs = std::filesystem;

const std::string kBin = ASTRASWEEP_BIN;
const std::string kSource = ASTRASWEEP_SOURCE_DIR;

using Cli = testing::Ran;
Cli Astrasweep(const std::string& args) { return testing::Run(kBin + " " + args); }

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

using testing::SortedRows;

// The run numbers of /workers.
std::set<std::int64_t> Runs(const std::string& path) {
  auto file = store::File::Open(path, store::File::Access::kReadOnly);
  if (!file) return {};
  auto table = store::Table::Open(*file, "workers");
  if (!table) return {};
  store::ColumnSet columns;
  const auto run = columns.Add<std::int64_t>("run");
  store::RowBuffer rows(columns);
  if (!table->Read(0, table->rows(), rows)) return {};
  std::set<std::int64_t> runs;
  for (std::size_t r = 0; r < rows.rows(); ++r) runs.insert(rows.Get(r, run));
  return runs;
}

std::string Attribute(const std::string& path, const std::string& name) {
  auto file = store::File::Open(path, store::File::Access::kReadOnly);
  if (!file) return "";
  return file->StringAttribute(name).value_or("");
}

class Repro : public ::testing::Test {
 protected:
  void SetUp() override {
    unsetenv("ASTRASWEEP_PRESETS");
    unsetenv("ASTRASIM_BIN");
    dir_ = std::make_unique<TempDir>(*TempDir::Create("astrasweep-repro-test-"));
  }
  std::string Path(const std::string& name) const { return (dir_->path() / name).string(); }

  // The quickstart, its base and the presets, copied under `folder`, with
  // the A100's GEMM efficiency changed (so results differ from the source
  // tree's presets, which a run would otherwise fall back on).
  std::string CopyQuickstart(const std::string& folder) {
    const fs::path root = dir_->path() / folder;
    fs::create_directories(root / "points");
    fs::copy(kSource + "/sweeps/quickstart.yaml", root / "quickstart.yaml");
    fs::copy(kSource + "/sweeps/points/gpt-1.3b-a100.yaml", root / "points/gpt-1.3b-a100.yaml");
    fs::copy(kSource + "/sweeps/presets", root / "presets", fs::copy_options::recursive);
    const fs::path a100 = root / "presets/hardware/a100-80gb.yaml";
    std::ifstream in(a100);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::string from = "gemm_efficiency: 0.69";
    EXPECT_TRUE(Has(text, from)) << "the preset changed: update the test";
    text.replace(text.find(from), from.size(), "gemm_efficiency: 0.6");
    std::ofstream(a100) << text;
    return (root / "quickstart.yaml").string();
  }

  std::string Quickstart() const { return kSource + "/sweeps/quickstart.yaml"; }

  // `run` into `out`; the test fails unless it exits 0.
  void RunSweep(const std::string& args, const std::string& out) {
    const Cli r = Astrasweep("run " + args + " -o " + out + " --progress none");
    ASSERT_EQ(r.code, 0) << r.output;
  }

  void ExpectSameTables(const std::string& a, const std::string& b) {
    for (const char* table : {"points", "rank_timings", "failures", "configs"}) {
      const auto rows_a = SortedRows(a, table), rows_b = SortedRows(b, table);
      EXPECT_FALSE(rows_a.empty() && std::string(table) != "failures") << table;
      EXPECT_EQ(rows_a.size(), rows_b.size()) << table;
      EXPECT_TRUE(rows_a == rows_b) << "/" << table << " of " << a << " and " << b << " differ";
    }
  }

  // Changes one cell of an archive with h5py; false when there is no h5py.
  bool Tamper(const std::string& path, const std::string& python_body) {
    const std::string python = testing::PythonWithH5();
    if (python.empty()) return false;
    const std::string script = Path("tamper.py");
    std::ofstream(script) << "import sys, h5py\nf = h5py.File(sys.argv[1], 'r+')\n"
                          << python_body << "\nf.close()\n";
    int code = 0;
    const std::string out = testing::Capture(python + " " + script + " " + path, &code);
    EXPECT_EQ(code, 0) << out;
    return true;
  }

  std::unique_ptr<TempDir> dir_;
};

TEST_F(Repro, VerifyOfASampleOfAFreshArchiveMatches) {
  const std::string out = Path("qs.h5");
  RunSweep(Quickstart(), out);
  const Cli r = Astrasweep("verify " + out + " --sample 20");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(Has(r.output, "20 points checked: 20 match, 0 differ")) << r.output;
  EXPECT_TRUE(Has(r.output, "20 of 294, spread evenly")) << r.output;
}

TEST_F(Repro, VerifyNamesEachDifferenceAndExitsOne) {
  const std::string out = Path("qs.h5");
  RunSweep(Quickstart(), out);
  // The sample of 5 of the 294 points holds the 1st and the 59th (position
  // floor(1 * 294 / 5) = 58 in index order): the first's status changed,
  // the other's step time.
  if (!Tamper(out, R"(p = f['points'][:]
order = sorted(range(len(p)), key=lambda r: p['index'][r])
p['status'][order[0]] = b'failed'
p['step_time_s'][order[58]] *= 1.01
f['points'][:] = p)"))
    GTEST_SKIP() << "no python3 with h5py";
  const Cli r = Astrasweep("verify " + out + " --sample 5");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_TRUE(Has(r.output, "point 0: status: archived failed, now ok")) << r.output;
  EXPECT_FALSE(Has(r.output, "point 0: step_time_s")) << "a status change says enough";
  EXPECT_TRUE(Has(r.output, ": step_time_s: archived ")) << r.output;
  EXPECT_TRUE(Has(r.output, "5 points checked: 3 match, 2 differ")) << r.output;
  EXPECT_FALSE(Has(r.output, "error")) << "a difference is an answer, not an error:\n" << r.output;
}

// Points an external AstraSim simulated compare within a tolerance, and a
// binary other than the archived one (another sha256) gets a warning.
TEST_F(Repro, VerifyComparesAstraSimPointsWithinATolerance) {
  const std::string fake = Path("fake_astrasim"), other = Path("other_astrasim");
  fs::copy(FAKE_ASTRASIM, fake);
  fs::copy(FAKE_ASTRASIM, other);
  std::ofstream(other, std::ios::app) << "another build";
  const std::string out = Path("astrasim.h5");
  RunSweep(kSource + "/tests/data/sweeps/astrasim-backend.yaml --astrasim-bin " + fake +
               " --cache-dir " + Path("cache"),
           out);
  Cli r = Astrasweep("verify " + out + " --astrasim-bin " + fake);
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(Has(r.output,
                  "4 points checked: 4 match, 0 differ (4 simulated by AstraSim, "
                  "compared within 1e-06 relative)"))
      << r.output;
  EXPECT_FALSE(Has(r.output, "warning")) << r.output;
  r = Astrasweep("verify " + out + " --astrasim-bin " + other);
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(Has(r.output, "warning: the AstraSim binary given now")) << r.output;
  EXPECT_TRUE(Has(r.output, "is not the one the archive names")) << r.output;
  // The binary answering 1 cycle in 1000 later: beyond the default
  // tolerance, within 1%.
  const std::string later =
      "FAKE_ASTRASIM_CYCLES=1001 " + kBin + " verify " + out + " --astrasim-bin " + fake;
  r.output = testing::Capture(later, &r.code);
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_TRUE(Has(r.output, "point 0: step_time_s: archived ")) << r.output;
  r.output = testing::Capture(later + " --astrasim-tolerance 0.01", &r.code);
  EXPECT_EQ(r.code, 0) << r.output;
  r = Astrasweep("verify " + out + " --sample 1");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_TRUE(Has(r.output, "and none is given now: name its binary with --astrasim-bin"))
      << r.output;
}

TEST_F(Repro, RunFromArchiveWithTheFilesGoneGivesTheSamePoints) {
  const std::string spec = CopyQuickstart("gone");
  const std::string first = Path("first.h5");
  RunSweep(spec, first);
  fs::remove_all(dir_->path() / "gone");
  ASSERT_FALSE(fs::exists(spec));
  const std::string again = Path("again.h5");
  RunSweep("--from-archive " + first, again);
  ExpectSameTables(first, again);
  EXPECT_EQ(Attribute(first, "spec_sha256"), Attribute(again, "spec_sha256"));
  EXPECT_EQ(Attribute(first, "spec"), Attribute(again, "spec"));
  // The changed preset came from the archive: the source tree's gives other
  // configs.
  const std::string tree = Path("tree.h5");
  RunSweep(Quickstart(), tree);
  EXPECT_FALSE(SortedRows(again, "configs") == SortedRows(tree, "configs"));
  // And the re-run stored its sweep again: it re-runs too.
  const std::string third = Path("third.h5");
  RunSweep("--from-archive " + again, third);
  ExpectSameTables(first, third);
}

// HDF5 keeps small attributes in the object header, which holds 64 KiB:
// the spec, an attribute, may be larger.
TEST_F(Repro, ASpecOverSixtyFourKiBIsRunAndStored) {
  const std::string spec = CopyQuickstart("big");
  {
    std::ofstream out(spec, std::ios::app);
    for (int i = 0; i < 1000; ++i)
      out << "# a note of the kind a long spec carries, line " << i << ", to pass 64 KiB\n";
  }
  ASSERT_GT(fs::file_size(spec), 65536u);
  const std::string first = Path("big.h5");
  RunSweep(spec, first);
  EXPECT_TRUE(Has(Attribute(first, "spec"), "line 999, to pass 64 KiB"));
  const std::string again = Path("again.h5");
  RunSweep("--from-archive " + first, again);
  ExpectSameTables(first, again);
}

// The journal names the files the sweep was read from by their content: a
// preset edited between a run and its resume is named, and nothing mixes.
TEST_F(Repro, AResumeAfterAPresetChangedIsRefusedNamingIt) {
  const std::string spec = CopyQuickstart("edited");
  const std::string out = Path("edited.h5");
  RunSweep(spec, out);
  const fs::path a100 = dir_->path() / "edited/presets/hardware/a100-80gb.yaml";
  const auto size = fs::file_size(a100);
  std::ofstream(a100, std::ios::app) << "# edited\n";
  const Cli r = Astrasweep("run " + spec + " -o " + out + " --resume --progress none");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_TRUE(Has(r.output, "preset hardware/a100-80gb.yaml changed")) << r.output;
  // Undone, it resumes; and the same spec by another path is the same spec.
  fs::resize_file(a100, size);
  int code = -1;
  const std::string output =
      testing::Capture("cd " + (dir_->path() / "edited").string() + " && " + kBin +
                           " run quickstart.yaml -o " + out + " --resume --progress none",
                       &code);
  EXPECT_EQ(code, 0) << output;
}

// --accept-changes: a resume after the files changed goes on, and the
// archive records it. A finished point whose config is unchanged is kept;
// one whose config changed (a preset edited) is evaluated again, so every
// row matches the config it names.
TEST_F(Repro, AcceptChangesKeepsUnchangedPointsEvaluatesChangedOnesAndRecordsIt) {
  const std::string spec = CopyQuickstart("accept");
  const std::string first = Path("first.h5"), out = Path("accept.h5");
  RunSweep(spec, first);
  RunSweep(spec, out);
  auto replace = [](const fs::path& file, const std::string& from, const std::string& to) {
    std::ifstream in(file);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    in.close();
    ASSERT_TRUE(Has(text, from)) << file;
    text.replace(text.find(from), from.size(), to);
    std::ofstream(file) << text;
  };
  // A change that leaves every config as it was: the description.
  replace(spec, "description: GPT", "description: (edited) GPT");

  Cli r = Astrasweep("run " + spec + " -o " + out + " --accept-changes --progress none");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_TRUE(Has(r.output, "--accept-changes goes with --resume")) << r.output;
  r = Astrasweep("run " + spec + " -o " + out + " --resume --progress none");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_TRUE(Has(r.output, "the spec changed") && Has(r.output, "--accept-changes")) << r.output;
  r = Astrasweep("run " + spec + " -o " + out + " --resume --accept-changes --progress none");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(Has(r.output, "accepting changes (the spec changed)")) << r.output;
  EXPECT_FALSE(Has(r.output, "have another config now")) << "no config changed:\n" << r.output;
  EXPECT_TRUE(Has(r.output, "0 evaluated")) << r.output;
  EXPECT_TRUE(Has(Attribute(out, "accepted_changes"), "run 2 (") &&
              Has(Attribute(out, "accepted_changes"), "the spec changed"))
      << Attribute(out, "accepted_changes");
  ExpectSameTables(first, out);

  // A preset edited: every point's config changes, and every point is
  // evaluated again, as a fresh run of the edited files.
  replace(dir_->path() / "accept/presets/hardware/a100-80gb.yaml", "gemm_efficiency: 0.6",
          "gemm_efficiency: 0.5");
  r = Astrasweep("run " + spec + " -o " + out + " --resume --accept-changes --progress none");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(Has(r.output, "preset hardware/a100-80gb.yaml changed")) << r.output;
  EXPECT_TRUE(Has(r.output,
                  "294 finished points have another config now and are evaluated "
                  "again; the other 0 are kept"))
      << r.output;
  const std::string fresh = Path("fresh.h5");
  RunSweep(spec, fresh);
  ExpectSameTables(fresh, out);
  const std::string accepted = Attribute(out, "accepted_changes");
  EXPECT_TRUE(Has(accepted, "run 2 (") && Has(accepted, "run 3 (") &&
              Has(accepted, "preset hardware/a100-80gb.yaml changed"))
      << accepted;
  r = Astrasweep("inspect " + out);
  EXPECT_TRUE(Has(r.output, "\naccepted    run 3 (")) << r.output;
}

// The journal is the record, and the archive a second copy of it: a
// flipped bit in the journal, or the journal emptied or removed, loses no
// point the archive holds, and the resume evaluates none again.
TEST_F(Repro, ADamagedOrLostJournalLosesNoPointTheArchiveHolds) {
  const std::string out = Path("q.h5"), reference = Path("reference.h5");
  RunSweep(Quickstart(), out);
  fs::copy(out, reference);
  const std::string journal = out + ".journal";
  {
    std::fstream f(journal, std::ios::in | std::ios::out | std::ios::binary);
    const auto middle = static_cast<std::streamoff>(fs::file_size(journal) / 2);
    f.seekg(middle);
    const char byte = static_cast<char>(f.get() ^ 0x10);
    f.seekp(middle);
    f.put(byte);
  }
  Cli r = Astrasweep("run " + Quickstart() + " -o " + out + " --resume --progress none");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(Has(r.output, "that the archive held are taken from it")) << r.output;
  EXPECT_TRUE(Has(r.output, "294 of 294 points") && Has(r.output, "0 evaluated")) << r.output;
  ExpectSameTables(reference, out);

  for (const bool emptied : {true, false}) {
    if (emptied)
      fs::resize_file(journal, 0);
    else
      fs::remove(journal);
    r = Astrasweep("run " + Quickstart() + " -o " + out + " --resume --progress none");
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_TRUE(Has(r.output, std::string("the journal was ") + (emptied ? "empty" : "missing") +
                                  "; it is made again from the archive, whose 294 points are "
                                  "kept"))
        << r.output;
    EXPECT_TRUE(Has(r.output, "0 evaluated")) << r.output;
    ExpectSameTables(reference, out);
  }
}

// The progress counts a point done only once the journal has it on disk:
// after kill -9, a resume finds at least as many finished points as the
// last progress line showed.
TEST_F(Repro, AKillNeverTakesPointsTheProgressShowedDone) {
  const std::string spec = Path("long.yaml"), out = Path("long.h5");
  std::ofstream(spec) << "name: long\nbase: " << kSource << "/sweeps/points/gpt-1.3b-a100.yaml\n"
                      << R"yaml(axes:
  model: [gpt-1.3b, gpt-2.7b, gpt-6.7b]
  parallelism.dp: [8]
  training.micro_batch: [1, 2]
  training.global_batch: {range: [512, 133000, 16]}
)yaml";
  int code = 0;
  const std::string log = Path("killed.log");
  testing::Capture("(" + kBin + " run " + spec + " -o " + out +
                       " --progress lines --progress-interval 0.1 >" + log +
                       " 2>&1 & pid=$!; sleep 1.5; kill -9 $pid; wait $pid)",
                   &code);
  std::ifstream in(log);
  std::string line, last;
  while (std::getline(in, line))
    if (Has(line, " points (")) last = line;
  ASSERT_FALSE(last.empty()) << "no progress line in 1.5 s";
  const std::uint64_t shown = std::stoull(last.substr(last.find(": ") + 2));
  const Cli r = Astrasweep("run " + spec + " -o " + out + " --resume --progress none");
  ASSERT_EQ(r.code, 0) << r.output;
  const auto at = r.output.find("resuming: ");
  ASSERT_NE(at, std::string::npos) << r.output;
  const std::uint64_t kept = std::stoull(r.output.substr(at + 10));
  EXPECT_GE(kept, shown) << last << "\n" << r.output;
}

// A disk filling up mid-run (a 2 MB tmpfs, where the machine lets root
// mount one): a clear error and exit 1, the journal intact; once there is
// space again, --resume completes the same archive an unhindered run gives.
TEST_F(Repro, AFullDiskStopsTheRunAndAResumeCompletesItOnceThereIsSpace) {
  if (::geteuid() != 0) GTEST_SKIP() << "mounting a tmpfs needs root";
  const fs::path small = dir_->path() / "small";
  fs::create_directories(small);
  if (std::system(("mount -t tmpfs -o size=2m tmpfs " + small.string() + " 2>/dev/null").c_str()) !=
      0)
    GTEST_SKIP() << "this machine does not let a tmpfs be mounted";
  struct Unmount {
    std::string path;
    ~Unmount() { (void)std::system(("umount " + path).c_str()); }
  } unmount{small.string()};
  const std::string spec = kSource + "/tests/data/sweeps/mixed.yaml";
  const std::string out = (small / "out.h5").string();
  const Cli full = Astrasweep("run " + spec + " -o " + out + " --progress none");
  EXPECT_EQ(full.code, 1) << full.output;
  EXPECT_TRUE(Has(full.output, "No space left on device")) << full.output;
  ASSERT_EQ(std::system(("mount -o remount,size=64m tmpfs " + small.string()).c_str()), 0);
  const Cli resumed = Astrasweep("run " + spec + " -o " + out + " --resume --progress none");
  ASSERT_EQ(resumed.code, 0) << resumed.output;
  EXPECT_TRUE(Has(resumed.output, "resuming: ")) << "points were kept:\n" << resumed.output;
  const std::string whole = Path("whole.h5");
  RunSweep(spec, whole);
  ExpectSameTables(out, whole);
}

// An archive of schema 1 kept the spec's files in its `spec` attribute,
// not the presets: those come from the search path, with a warning.
TEST_F(Repro, RunFromAnArchiveOfSchemaOneReadsItsSpecAttribute) {
  const fs::path gone = dir_->path() / "gone";
  fs::create_directories(gone / "points");
  fs::copy(Quickstart(), gone / "quickstart.yaml");
  fs::copy(kSource + "/sweeps/points/gpt-1.3b-a100.yaml", gone / "points/gpt-1.3b-a100.yaml");
  const std::string old = Path("old.h5");
  RunSweep((gone / "quickstart.yaml").string(), old);
  if (!Tamper(old, "del f['sources']\nf.attrs['schema_version'] = 1"))
    GTEST_SKIP() << "no python3 with h5py";
  fs::remove_all(gone);
  const std::string again = Path("again.h5");
  const Cli r = Astrasweep("run --from-archive " + old + " -o " + again + " --progress none");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(Has(r.output, "before archives stored their presets (schema 1)")) << r.output;
  ExpectSameTables(old, again);
  EXPECT_EQ(Attribute(old, "spec_sha256"), Attribute(again, "spec_sha256"));
}

TEST_F(Repro, RunFromArchiveRefusesBadInput) {
  Cli r = Astrasweep("run --from-archive " + Path("missing.h5") + " -o " + Path("x.h5"));
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_TRUE(Has(r.output, "missing.h5") && Has(r.output, "no such archive")) << r.output;
  r = Astrasweep("run " + Quickstart() + " --from-archive " + Path("a.h5") + " -o " + Path("x.h5"));
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_TRUE(Has(r.output, "not both")) << r.output;
  r = Astrasweep("run -o " + Path("x.h5"));
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_TRUE(Has(r.output, "--from-archive")) << r.output;
}

TEST_F(Repro, MergeOfFourShardsIsTheWholeRun) {
  const std::string whole = Path("whole.h5");
  RunSweep(Quickstart(), whole);
  std::string shards;
  for (int i = 0; i < 4; ++i) {
    const std::string shard = Path("shard" + std::to_string(i) + ".h5");
    RunSweep(Quickstart() + " --shard " + std::to_string(i) + "/4", shard);
    shards += " " + shard;
  }
  const std::string merged = Path("merged.h5");
  Cli r = Astrasweep("merge" + shards + " -o " + merged);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(Has(r.output, "4 shards merged: 294 points")) << r.output;
  ExpectSameTables(whole, merged);
  EXPECT_EQ(SortedRows(merged, "inputs", {}).size(), 4u);
  EXPECT_EQ(Attribute(merged, "status"), "complete");
  EXPECT_EQ(Attribute(merged, "shard"), "");
  EXPECT_EQ(Attribute(merged, "spec_sha256"), Attribute(whole, "spec_sha256"));
  EXPECT_EQ(Runs(merged), (std::set<std::int64_t>{0, 1, 2, 3}))
      << "each shard's run keeps a number of its own in /workers";
  r = Astrasweep("diff " + whole + " " + merged);
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(Has(r.output, "equal")) << r.output;
  r = Astrasweep("inspect " + merged);
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(Has(r.output, "complete  (294 of 294 points)")) << r.output;
  // Merged, it still re-runs from the archive into the same points.
  const std::string again = Path("again.h5");
  RunSweep("--from-archive " + merged, again);
  ExpectSameTables(whole, again);
  r = Astrasweep("verify " + merged + " --sample 20");
  EXPECT_EQ(r.code, 0) << r.output;
}

TEST_F(Repro, MergeRefusesWhatIsNotTheShardsOfOneSpec) {
  std::vector<std::string> shard;
  for (int i = 0; i < 4; ++i) {
    shard.push_back(Path("s" + std::to_string(i) + ".h5"));
    RunSweep(Quickstart() + " --shard " + std::to_string(i) + "/4", shard.back());
  }
  const std::string other = Path("other.h5");
  RunSweep(CopyQuickstart("copy") + " --shard 1/4", other);
  const std::string out = Path("out.h5");
  struct Case {
    std::string inputs;
    std::vector<std::string> expected;
  };
  const std::vector<Case> cases = {
      {shard[0] + " " + other + " " + shard[2] + " " + shard[3],
       {other, "comes from another spec", shard[0], "Only shards of one spec merge"}},
      {shard[0] + " " + shard[1] + " " + shard[2],
       {"shard 3/4 of the sweep is missing", "--shard 3/4"}},
      {shard[0] + " " + shard[1] + " " + shard[1] + " " + shard[2] + " " + shard[3],
       {shard[1], "both shard 1/4"}},
      {Path("whole.h5"), {"whole.h5", "no such archive"}},
  };
  for (const Case& c : cases) {
    const Cli r = Astrasweep("merge " + c.inputs + " -o " + out);
    EXPECT_EQ(r.code, 2) << c.inputs << ":\n" << r.output;
    EXPECT_TRUE(Has(r.output, "astrasweep: error: ")) << r.output;
    for (const auto& text : c.expected)
      EXPECT_TRUE(Has(r.output, text)) << text << " in:\n" << r.output;
    EXPECT_FALSE(fs::exists(out)) << "a refused merge writes nothing";
  }
  RunSweep(Quickstart(), Path("whole.h5"));
  Cli r = Astrasweep("merge " + Path("whole.h5") + " -o " + out);
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_TRUE(Has(r.output, "not a shard")) << r.output;
  // A partial shard names the command that finishes it.
  if (Tamper(shard[2], "f.attrs['status'] = b'partial'\nf.attrs['points_done'] = 3")) {
    r = Astrasweep("merge " + shard[0] + " " + shard[1] + " " + shard[2] + " " + shard[3] + " -o " +
                   out);
    EXPECT_EQ(r.code, 2) << r.output;
    EXPECT_TRUE(Has(r.output, "partial (3 of ")) << r.output;
    EXPECT_TRUE(Has(r.output, "-o " + shard[2] + " --resume --shard 2/4")) << r.output;
  }
  std::ofstream(out) << "something";
  r = Astrasweep("merge " + shard[0] + " " + shard[1] + " " + shard[2] + " " + shard[3] + " -o " +
                 out);
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_TRUE(Has(r.output, "exists already")) << r.output;
}

TEST_F(Repro, DiffSaysWhichPointsDifferAndByHowMuch) {
  const std::string a = Path("a.h5"), b = Path("b.h5"), shard = Path("shard.h5");
  RunSweep(Quickstart(), a);
  RunSweep(Quickstart(), b);
  RunSweep(Quickstart() + " --shard 0/2", shard);
  Cli r = Astrasweep("diff " + a + " " + b);
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(Has(r.output, "by index (the same spec): 294 points in both")) << r.output;
  r = Astrasweep("diff " + a + " " + shard);
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_TRUE(Has(r.output, "only in A   147 points: ")) << r.output;
  EXPECT_TRUE(Has(r.output, "only in B   no point")) << r.output;
  r = Astrasweep("diff " + a + " " + Path("missing.h5"));
  EXPECT_EQ(r.code, 2) << r.output;
  if (!Tamper(b, R"(p = f['points'][:]
row = list(p['index']).index(64)
p['step_time_s'][row] *= 1.5
p['status'][row] = b'infeasible'
f['points'][:] = p)"))
    GTEST_SKIP() << "no python3 with h5py";
  r = Astrasweep("diff " + a + " " + b);
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_TRUE(Has(r.output, "differ      1 point\n")) << r.output;
  EXPECT_TRUE(Has(r.output, "status ok -> infeasible: 1 point\n")) << r.output;
  EXPECT_TRUE(Has(r.output, "step_time_s: 1 point, largest +50% (point 64)")) << r.output;
  EXPECT_TRUE(Has(r.output, "point 64: status ok -> infeasible, step_time_s ")) << r.output;
  r = Astrasweep("diff " + a + " " + b + " --tolerance 0.6");
  EXPECT_EQ(r.code, 1) << "a status change is a difference at any tolerance:\n" << r.output;
  EXPECT_FALSE(Has(r.output, "step_time_s")) << r.output;
}

}  // namespace
}  // namespace astrasweep
