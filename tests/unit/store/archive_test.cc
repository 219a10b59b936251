// The journal survives torn and damaged tails; an archive is rebuilt from
// its journal on resume; results are never overwritten; one run at a time.
#include "astrasweep/store/archive.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "astrasweep.pb.h"
#include "astrasweep/base/hash.h"
#include "astrasweep/base/temp_dir.h"
#include "astrasweep/store/archive_lock.h"
#include "astrasweep/store/inspect.h"
#include "astrasweep/store/journal.h"
#include "astrasweep/store/table.h"

namespace astrasweep::store {
namespace {

// What a sweep would build for point `index`: id, canonical text, swept
// values (the journal does not keep them).
Status RestoreConfig(proto::PointResult& p) {
  p.set_id(std::string(32, 'a'));
  p.clear_swept();
  p.add_swept("gpt-" + std::to_string(p.index()));
  p.add_swept(std::to_string(p.index() % 4));
  p.set_canonical_config(std::string(2500, 'x') + std::to_string(p.index()));
  return Ok();
}

// As RestoreConfig, but point 2's config now builds otherwise (another
// id): a preset edited under it.
Status RestoreWithAnotherIdFor2(proto::PointResult& p) {
  ASTRASWEEP_RETURN_IF_ERROR(RestoreConfig(p));
  if (p.index() == 2) p.set_id(std::string(32, 'b'));
  return Ok();
}

proto::PointResult Point(std::uint64_t index, proto::PointStatus status = proto::POINT_STATUS_OK) {
  proto::PointResult p;
  p.set_index(index);
  p.set_status(status);
  p.set_mode("analytical");
  // The result fields in table order: step_time_s, tokens_per_s, ...
  p.add_fields(1.0 + static_cast<double>(index));
  p.add_fields(1000.0 / (1.0 + static_cast<double>(index)));
  EXPECT_TRUE(RestoreConfig(p));
  auto* t = p.add_rank_timings();
  t->set_npu(3);
  t->set_finish_s(1.5);
  if (status == proto::POINT_STATUS_FAILED) {
    p.set_failure_stage("pipeline");
    p.set_failure_message("needs more micro-batches");
  }
  return p;
}

std::vector<sweep::SweptKey> Swept() {
  return {{"model", sweep::SweptKey::Kind::kText, 16},
          {"parallelism.tp", sweep::SweptKey::Kind::kInteger, 0}};
}

Provenance Prov(std::string preset_text = "peak: 1") {
  Provenance p;
  // What an archive's /sources must hash to (the spec's files, each after
  // a "# ---- <name>" line).
  p.spec_sha256 = Sha256Hex("# ---- s.yaml\naxes: {}\n");
  p.spec_text = "axes: {}";
  p.sources = {
      {.kind = SourceFile::Kind::kSpec, .name = "s.yaml", .path = "s.yaml", .text = "axes: {}"},
      {.kind = SourceFile::Kind::kPreset,
       .name = "hardware/gpu.yaml",
       .path = "/p/hardware/gpu.yaml",
       .text = std::move(preset_text)}};
  p.points_total = 10;
  return p;
}

// Adds point `index` to the journal, then flushes it: a block of its own.
void AddFlushed(JournalWriter& journal, std::uint64_t index) {
  auto p = Point(index);
  journal.Add(p);
  ASSERT_TRUE(journal.Flush(Durability::kWritten));
}

void OverwriteByte(const std::string& path, std::uintmax_t at, char byte) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(static_cast<std::streamoff>(at));
  f.put(byte);
}

std::vector<std::uint64_t> JournalIndices(const std::string& path,
                                          JournalScan* scan_out = nullptr) {
  std::vector<std::uint64_t> seen;
  auto scan = ReadJournal(path, {.point = [&](proto::PointResult& p) {
                            seen.push_back(p.index());
                            return Ok();
                          }});
  EXPECT_TRUE(scan) << scan.error().ToString();
  if (scan && scan_out) *scan_out = *scan;
  return seen;
}

std::vector<std::uint64_t> PointIndices(const std::string& path) {
  auto file = File::Open(path, File::Access::kReadOnly);
  EXPECT_TRUE(file) << file.error().ToString();
  auto table = Table::Open(*file, "points");
  EXPECT_TRUE(table) << table.error().ToString();
  ColumnSet columns;
  const auto index = columns.Add<std::uint64_t>("index");
  RowBuffer rows(columns);
  EXPECT_TRUE(table->Read(0, table->rows(), rows));
  std::vector<std::uint64_t> out;
  for (std::size_t r = 0; r < rows.rows(); ++r) out.push_back(rows.Get(r, index));
  std::sort(out.begin(), out.end());
  return out;
}

TEST(Journal, ReadsBackEveryRecordAndStopsAtATornTail) {
  auto dir = TempDir::Create();
  const std::string path = (dir->path() / "j").string();
  auto journal =
      JournalWriter::Create(path, {.spec_sha256 = "s", .shard = "1/3", .created_utc = "t"});
  ASSERT_TRUE(journal) << journal.error().ToString();
  for (std::uint64_t i = 0; i < 5; ++i) {
    auto p = Point(i);
    journal->Add(p);
    EXPECT_FALSE(p.canonical_config().empty()) << "the point is left as it was given";
  }
  ASSERT_TRUE(journal->Flush(Durability::kSynced));
  const auto intact = std::filesystem::file_size(path);
  // A block cut short, as a kill in the middle of a write leaves it.
  AddFlushed(*journal, 5);
  std::filesystem::resize_file(path, std::filesystem::file_size(path) - 7);

  JournalScan scan;
  EXPECT_EQ(JournalIndices(path, &scan), (std::vector<std::uint64_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(scan.info.shard, "1/3");
  EXPECT_EQ(scan.valid_bytes, intact);
  EXPECT_NE(scan.damage.find("torn"), std::string::npos);

  // Continuing cuts the torn tail off and appends after the intact blocks.
  auto more = JournalWriter::Continue(path, scan.valid_bytes);
  ASSERT_TRUE(more);
  AddFlushed(*more, 9);
  EXPECT_EQ(JournalIndices(path, &scan), (std::vector<std::uint64_t>{0, 1, 2, 3, 4, 9}));
  EXPECT_TRUE(scan.damage.empty());
}

TEST(Journal, KeepsPointsWithoutTheirConfigAndCompressed) {
  auto dir = TempDir::Create();
  const std::string path = (dir->path() / "j").string();
  auto journal = JournalWriter::Create(path, {});
  ASSERT_TRUE(journal);
  const auto header = std::filesystem::file_size(path);
  for (std::uint64_t i = 0; i < 100; ++i) {
    auto p = Point(i);
    journal->Add(p);
  }
  ASSERT_TRUE(journal->Flush(Durability::kWritten));
  // Each point holds a 2.5 kB config: journaled, 100 would take 250 kB.
  EXPECT_LT(std::filesystem::file_size(path) - header, 100u * 100u);
  auto scan = ReadJournal(path, {.point = [&](proto::PointResult& p) {
                            EXPECT_TRUE(p.canonical_config().empty());
                            EXPECT_TRUE(p.id().empty());
                            EXPECT_EQ(p.swept_size(), 0);
                            EXPECT_EQ(p.fields_size(), 2);
                            EXPECT_EQ(p.rank_timings_size(), 1);
                            return Ok();
                          }});
  ASSERT_TRUE(scan) << scan.error().ToString();
  EXPECT_EQ(scan->points, 100u);
}

TEST(Journal, AFlippedByteLosesOnlyItsBlockAndTheRestIsRead) {
  auto dir = TempDir::Create();
  const std::string path = (dir->path() / "j").string();
  auto journal = JournalWriter::Create(path, {});
  ASSERT_TRUE(journal);
  AddFlushed(*journal, 0);
  const auto second_block = std::filesystem::file_size(path);
  AddFlushed(*journal, 1);
  const auto third_block = std::filesystem::file_size(path);
  AddFlushed(*journal, 2);
  AddFlushed(*journal, 3);
  OverwriteByte(path, (second_block + third_block) / 2, '\x7f');
  JournalScan scan;
  EXPECT_EQ(JournalIndices(path, &scan), (std::vector<std::uint64_t>{0, 2, 3}));
  EXPECT_NE(scan.damage.find("damaged block"), std::string::npos) << scan.damage;
  EXPECT_EQ(scan.skipped_bytes, third_block - second_block);
  EXPECT_EQ(scan.valid_bytes, std::filesystem::file_size(path));
}

TEST(Journal, AGarbledMarkerIsPassedToTheNextBlock) {
  auto dir = TempDir::Create();
  const std::string path = (dir->path() / "j").string();
  auto journal = JournalWriter::Create(path, {});
  ASSERT_TRUE(journal);
  AddFlushed(*journal, 0);
  const auto second_block = std::filesystem::file_size(path);
  AddFlushed(*journal, 1);
  AddFlushed(*journal, 2);
  OverwriteByte(path, second_block, 'X');  // the block's marker
  EXPECT_EQ(JournalIndices(path), (std::vector<std::uint64_t>{0, 2}));
}

TEST(Journal, AFileThatIsNotAJournalIsAnError) {
  auto dir = TempDir::Create();
  const std::string path = (dir->path() / "j").string();
  std::ofstream(path) << "hello, this is not a journal";
  auto scan = ReadJournal(path, {.point = [](proto::PointResult&) { return Ok(); }});
  ASSERT_FALSE(scan);
  EXPECT_NE(scan.error().message().find("not a journal this astrasweep reads"), std::string::npos);
}

TEST(Archive, ResumeRebuildsADamagedArchiveFromItsJournal) {
  auto dir = TempDir::Create();
  const std::string path = (dir->path() / "out.h5").string();
  {
    auto opened = CreateArchive(path, Swept(), Prov());
    ASSERT_TRUE(opened) << opened.error().ToString();
    for (std::uint64_t i : {4, 0, 7}) {
      auto p = Point(i, i == 7 ? proto::POINT_STATUS_FAILED : proto::POINT_STATUS_OK);
      opened->journal.Add(p);
      ASSERT_TRUE(opened->archive.Add(p));
    }
    ASSERT_TRUE(opened->journal.Flush(Durability::kSynced));
    // The process dies here: the archive never got its rows.
  }
  // And the archive file is damaged besides.
  std::filesystem::resize_file(path, 100);

  auto again = CreateArchive(path, Swept(), Prov());
  ASSERT_FALSE(again) << "an existing archive must not be overwritten";
  EXPECT_NE(again.error().message().find("--resume"), std::string::npos);

  auto changed = ResumeArchive(path, Swept(), Prov("peak: 2"), RestoreConfig);
  ASSERT_FALSE(changed);
  EXPECT_NE(changed.error().message().find("preset hardware/gpu.yaml changed"), std::string::npos)
      << changed.error().ToString();

  auto resumed = ResumeArchive(path, Swept(), Prov(), RestoreConfig);
  ASSERT_TRUE(resumed) << resumed.error().ToString();
  EXPECT_EQ(resumed->done, (std::vector<std::uint64_t>{0, 4, 7}));
  EXPECT_EQ(resumed->archive.run(), 0);
  auto p = Point(2);
  resumed->journal.Add(p);
  ASSERT_TRUE(resumed->archive.Add(p));
  ASSERT_TRUE(resumed->journal.Flush(Durability::kSynced));
  ASSERT_TRUE(resumed->archive.Finish(ArchiveStatus::kPartial, "now"));
  EXPECT_EQ(resumed->archive.counts().failed, 1u);
  EXPECT_EQ(PointIndices(path), (std::vector<std::uint64_t>{0, 2, 4, 7}));

  auto file = File::Open(path, File::Access::kReadOnly);
  auto failures = Table::Open(*file, "failures");
  ASSERT_TRUE(failures);
  EXPECT_EQ(failures->rows(), 1u);
  // A 2.5 kB config is kept whole, in three parts.
  auto configs = Table::Open(*file, "configs");
  EXPECT_EQ(configs->rows(), 4u * 3u);
  EXPECT_EQ(*file->StringAttribute("status"), "partial");
  EXPECT_EQ(*file->Int64Attribute("points_done"), 4);
  auto points = Table::Open(*file, "points");
  ColumnSet columns;
  const auto model = columns.Add<std::string_view>("model", 16);
  const auto tp = columns.Add<std::int64_t>("parallelism.tp");
  const auto step = columns.Add<double>("step_time_s");
  const auto fits = columns.Add<bool>("fits_memory");
  RowBuffer swept(columns);
  ASSERT_TRUE(points->Read(0, points->rows(), swept));
  for (std::size_t r = 0; r < swept.rows(); ++r) {
    EXPECT_EQ(std::string(swept.Get(r, model)).substr(0, 4), "gpt-");
    EXPECT_EQ(swept.Get(r, tp), static_cast<std::int64_t>(std::stoi(
                                    std::string(swept.Get(r, model)).substr(4)) % 4));
    EXPECT_GE(swept.Get(r, step), 1.0) << "the first result field is step_time_s";
    EXPECT_FALSE(swept.Get(r, fits)) << "a field a result lacks reads 0";
  }

  auto text = InspectArchive(path, {.top = 3});
  ASSERT_TRUE(text) << text.error().ToString();
  EXPECT_NE(text->find("3 ok  0 infeasible  1 failed"), std::string::npos) << *text;
  EXPECT_NE(text->find("needs more micro-batches"), std::string::npos) << *text;
}

TEST(Archive, APointJournaledTwiceIsKeptOnceAndASpecByAnotherPathResumes) {
  auto dir = TempDir::Create();
  const std::string path = (dir->path() / "out.h5").string();
  {
    auto opened = CreateArchive(path, Swept(), Prov());
    ASSERT_TRUE(opened) << opened.error().ToString();
    for (std::uint64_t i : {1, 2, 2, 3, 1}) {  // as writes retried would leave them
      auto p = Point(i);
      opened->journal.Add(p);
    }
    ASSERT_TRUE(opened->journal.Flush(Durability::kSynced));
  }
  Provenance moved = Prov();
  moved.sources.front().name = moved.sources.front().path = "/elsewhere/s.yaml";
  auto resumed = ResumeArchive(path, Swept(), moved, RestoreConfig);
  ASSERT_TRUE(resumed) << resumed.error().ToString();
  EXPECT_EQ(resumed->done, (std::vector<std::uint64_t>{1, 2, 3}));
  ASSERT_TRUE(resumed->archive.Finish(ArchiveStatus::kPartial, "now"));
  EXPECT_EQ(resumed->archive.counts().done, 3u);
  EXPECT_EQ(PointIndices(path), (std::vector<std::uint64_t>{1, 2, 3}));
}

// A complete archive of points 0-5 (5 failed), each journaled in a block
// of its own, and a worker's record; returns where each point's block
// begins in the journal.
std::vector<std::uintmax_t> MakeComplete(const std::string& path) {
  std::vector<std::uintmax_t> blocks;
  auto opened = CreateArchive(path, Swept(), Prov());
  EXPECT_TRUE(opened) << opened.error().ToString();
  if (!opened) return blocks;
  for (std::uint64_t i = 0; i < 6; ++i) {
    blocks.push_back(std::filesystem::file_size(JournalPath(path)));
    auto p = Point(i, i == 5 ? proto::POINT_STATUS_FAILED : proto::POINT_STATUS_OK);
    p.set_eval_s(0.25 * static_cast<double>(i));
    p.set_worker_rank(1 + static_cast<int>(i % 2));
    opened->journal.Add(p);
    EXPECT_TRUE(opened->archive.Add(p));
    EXPECT_TRUE(opened->journal.Flush(Durability::kWritten));
  }
  proto::WorkerStats worker;
  worker.set_rank(1);
  worker.set_host("node7");
  worker.set_points(6);
  worker.set_busy_s(2.5);
  opened->journal.Add(worker);
  EXPECT_TRUE(opened->archive.AddWorker(worker, 0));
  EXPECT_TRUE(opened->journal.Flush(Durability::kSynced));
  EXPECT_TRUE(opened->archive.Finish(ArchiveStatus::kComplete, "now"));
  return blocks;
}

// What a user reads of an archive's points: a line per point (sorted), and
// the rows of the other tables.
std::string Describe(const std::string& path) {
  auto file = File::Open(path, File::Access::kReadOnly);
  EXPECT_TRUE(file) << file.error().ToString();
  if (!file) return "";
  auto rows_of = [&](const char* name) {
    auto table = Table::Open(*file, name);
    EXPECT_TRUE(table) << name;
    return table ? table->rows() : 0;
  };
  auto points = Table::Open(*file, "points");
  ColumnSet columns;
  const auto index = columns.Add<std::uint64_t>("index");
  const auto status = columns.Add<std::string_view>("status", 10);
  const auto model = columns.Add<std::string_view>("model", 16);
  const auto step = columns.Add<double>("step_time_s");
  const auto tokens = columns.Add<double>("tokens_per_s");
  const auto eval_s = columns.Add<double>("eval_s");
  const auto worker = columns.Add<std::int64_t>("worker_rank");
  RowBuffer rows(columns);
  EXPECT_TRUE(points->Read(0, points->rows(), rows));
  std::vector<std::string> lines;
  for (std::size_t r = 0; r < rows.rows(); ++r)
    lines.push_back(std::to_string(rows.Get(r, index)) + " " + std::string(rows.Get(r, status)) +
                    " " + std::string(rows.Get(r, model)) + " " +
                    std::to_string(rows.Get(r, step)) + " " + std::to_string(rows.Get(r, tokens)) +
                    " " + std::to_string(rows.Get(r, eval_s)) + " " +
                    std::to_string(rows.Get(r, worker)));
  std::sort(lines.begin(), lines.end());
  std::string text;
  for (const std::string& line : lines) text += line + "\n";
  return text + "rank_timings " + std::to_string(rows_of("rank_timings")) + ", failures " +
         std::to_string(rows_of("failures")) + ", configs " + std::to_string(rows_of("configs")) +
         ", workers " + std::to_string(rows_of("workers")) + ", points_done " +
         std::to_string(file->Int64Attribute("points_done").value_or(-1));
}

std::vector<std::uint64_t> Sorted(std::vector<std::uint64_t> indices) {
  std::sort(indices.begin(), indices.end());
  return indices;
}

const std::vector<std::uint64_t> kAllSix = {0, 1, 2, 3, 4, 5};

// A damaged block loses its points from the journal, not from the sweep:
// the archive still holds them, and they are journaled again.
TEST(Archive, PointsOfADamagedJournalBlockAreTakenFromTheArchiveAndJournaledAgain) {
  auto dir = TempDir::Create();
  const std::string path = (dir->path() / "out.h5").string();
  const auto blocks = MakeComplete(path);
  ASSERT_EQ(blocks.size(), 6u);
  const std::string before = Describe(path);
  OverwriteByte(JournalPath(path), (blocks[2] + blocks[3]) / 2, '\x7f');
  EXPECT_EQ(JournalIndices(JournalPath(path)), (std::vector<std::uint64_t>{0, 1, 3, 4, 5}));

  auto resumed = ResumeArchive(path, Swept(), Prov(), RestoreConfig);
  ASSERT_TRUE(resumed) << resumed.error().ToString();
  EXPECT_EQ(resumed->done, kAllSix) << "no point is evaluated again";
  EXPECT_EQ(resumed->archive.run(), 1);
  ASSERT_TRUE(resumed->archive.Finish(ArchiveStatus::kComplete, "later"));
  EXPECT_EQ(Describe(path), before);
  EXPECT_EQ(Sorted(JournalIndices(JournalPath(path))), kAllSix) << "point 2 is journaled again";

  // The journal alone is the record again: a resume needs no archive.
  std::filesystem::resize_file(path, 100);
  auto again = ResumeArchive(path, Swept(), Prov(), RestoreConfig);
  ASSERT_TRUE(again) << again.error().ToString();
  EXPECT_EQ(again->done, kAllSix);
}

// A journal emptied or removed is made again from the archive, whose
// points are all kept; its provenance is checked as a journal's would be.
TEST(Archive, AJournalEmptiedOrLostIsMadeAgainFromTheArchiveWhosePointsAreKept) {
  auto dir = TempDir::Create();
  const std::string path = (dir->path() / "out.h5").string();
  MakeComplete(path);
  const std::string before = Describe(path);

  std::filesystem::resize_file(JournalPath(path), 0);
  auto emptied = ResumeArchive(path, Swept(), Prov(), RestoreConfig);
  ASSERT_TRUE(emptied) << emptied.error().ToString();
  EXPECT_EQ(emptied->done, kAllSix);
  EXPECT_EQ(emptied->archive.run(), 1) << "the archive's runs are counted on";
  ASSERT_TRUE(emptied->archive.Finish(ArchiveStatus::kComplete, "later"));
  EXPECT_EQ(Describe(path), before);
  auto header = ReadJournalHeader(JournalPath(path));
  ASSERT_TRUE(header && header->has_value());
  EXPECT_EQ((*header)->spec_sha256, Prov().spec_sha256);
  EXPECT_EQ(Sorted(JournalIndices(JournalPath(path))), kAllSix);

  // Lost with changed inputs: refused as a journal's would be, naming the
  // change; nothing is made or removed.
  std::filesystem::remove(JournalPath(path));
  auto changed = ResumeArchive(path, Swept(), Prov("peak: 2"), RestoreConfig);
  ASSERT_FALSE(changed);
  EXPECT_NE(changed.error().message().find("not those the archive was made with (preset "
                                           "hardware/gpu.yaml changed)"),
            std::string::npos)
      << changed.error().ToString();
  EXPECT_FALSE(std::filesystem::exists(JournalPath(path)));
  EXPECT_EQ(Describe(path), before);

  // Accepted, a point whose config changed is evaluated again, the rest kept.
  auto accepted = ResumeArchive(path, Swept(), Prov("peak: 2"), RestoreWithAnotherIdFor2, true);
  ASSERT_TRUE(accepted) << accepted.error().ToString();
  EXPECT_EQ(accepted->done, (std::vector<std::uint64_t>{0, 1, 3, 4, 5}));
  EXPECT_EQ(accepted->archive.run(), 2);
  EXPECT_NE(accepted->accepted_now.find("preset hardware/gpu.yaml changed"), std::string::npos);
}

TEST(Archive, AnArchiveWithoutAJournalThatCannotBeReadIsKeptAndTheRefusalSaysWhatToDo) {
  auto dir = TempDir::Create();
  const std::string path = (dir->path() / "out.h5").string();
  std::ofstream(path) << "not an archive at all";
  auto resumed = ResumeArchive(path, Swept(), Prov(), RestoreConfig);
  ASSERT_FALSE(resumed);
  EXPECT_NE(resumed.error().message().find("is missing, and the archive, which would make it "
                                           "again, cannot be read"),
            std::string::npos)
      << resumed.error().ToString();
  EXPECT_NE(resumed.error().message().find("Move the archive away"), std::string::npos);
  EXPECT_EQ(std::filesystem::file_size(path), 21u);
  EXPECT_FALSE(std::filesystem::exists(JournalPath(path)));
}

// The model (astrasweep's version, the simulators) is part of the record:
// a resume by another is refused unless changes are accepted; a resume
// refused part-way through the rebuild leaves the archive as it was.
TEST(Archive, AnotherModelIsRefusedOrAcceptedAndARefusedRebuildLeavesTheArchive) {
  auto dir = TempDir::Create();
  const std::string path = (dir->path() / "out.h5").string();
  Provenance before = Prov();
  before.model = "astrasweep 1 (git a); builtin v1";
  {
    auto opened = CreateArchive(path, Swept(), before);
    ASSERT_TRUE(opened) << opened.error().ToString();
    for (std::uint64_t i : {1, 2}) {
      auto p = Point(i);
      opened->journal.Add(p);
      ASSERT_TRUE(opened->archive.Add(p));
    }
    ASSERT_TRUE(opened->journal.Flush(Durability::kSynced));
    ASSERT_TRUE(opened->archive.Finish(ArchiveStatus::kPartial, "now"));
  }
  Provenance after = before;
  after.model = "astrasweep 2 (git b); builtin v1";
  auto refused = ResumeArchive(path, Swept(), after, RestoreConfig);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message().find("the model changed (was 'astrasweep 1 (git a); "
                                           "builtin v1', now 'astrasweep 2 (git b); builtin v1')"),
            std::string::npos)
      << refused.error().ToString();
  EXPECT_NE(refused.error().message().find("--accept-changes"), std::string::npos);

  // A restore that fails half-way (the second point) leaves the old file.
  int restored = 0;
  const store::RestoreConfig failing = [&](proto::PointResult& p) -> Status {
    if (++restored == 2) return InvalidInput("no config for this point");
    return RestoreConfig(p);
  };
  auto failed = ResumeArchive(path, Swept(), before, failing);
  ASSERT_FALSE(failed);
  EXPECT_EQ(PointIndices(path), (std::vector<std::uint64_t>{1, 2}));
  EXPECT_FALSE(std::filesystem::exists(path + ".resuming"));

  auto accepted = ResumeArchive(path, Swept(), after, RestoreConfig, /*accept_changes=*/true);
  ASSERT_TRUE(accepted) << accepted.error().ToString();
  EXPECT_EQ(accepted->done, (std::vector<std::uint64_t>{1, 2}));
  EXPECT_NE(accepted->accepted_now.find("the model changed"), std::string::npos);
}

// A point whose config changed since it was journaled (its id differs) is
// never kept under the new config: refused, or evaluated again on accept.
TEST(Archive, APointWhoseConfigChangedIsEvaluatedAgainOnlyWhenChangesAreAccepted) {
  auto dir = TempDir::Create();
  const std::string path = (dir->path() / "out.h5").string();
  {
    auto opened = CreateArchive(path, Swept(), Prov());
    ASSERT_TRUE(opened) << opened.error().ToString();
    for (std::uint64_t i : {1, 2, 3}) {
      auto p = Point(i);
      opened->journal.Add(p);
    }
    ASSERT_TRUE(opened->journal.Flush(Durability::kSynced));
  }
  auto refused = ResumeArchive(path, Swept(), Prov(), RestoreWithAnotherIdFor2);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message().find("point 2 now has another config"), std::string::npos)
      << refused.error().ToString();
  auto accepted = ResumeArchive(path, Swept(), Prov(), RestoreWithAnotherIdFor2, true);
  ASSERT_TRUE(accepted) << accepted.error().ToString();
  EXPECT_EQ(accepted->done, (std::vector<std::uint64_t>{1, 3}));
}

TEST(Archive, AJournalKilledBeforeItsHeaderWasWrittenIsStartedAfresh) {
  auto dir = TempDir::Create();
  const std::string path = (dir->path() / "out.h5").string();
  std::ofstream(JournalPath(path)) << "";  // the first run died right after creating it
  auto resumed = ResumeArchive(path, Swept(), Prov(), RestoreConfig);
  ASSERT_TRUE(resumed) << resumed.error().ToString();
  EXPECT_TRUE(resumed->done.empty());
  auto header = ReadJournalHeader(JournalPath(path));
  ASSERT_TRUE(header) << header.error().ToString();
  ASSERT_TRUE(header->has_value()) << "the new journal has its header";
  EXPECT_EQ((*header)->spec_sha256, Prov().spec_sha256);
  EXPECT_FALSE((*header)->result_fields.empty());
}

TEST(Archive, AJournalTornInItsHeaderIsStartedAfresh) {
  auto dir = TempDir::Create();
  const std::string path = (dir->path() / "out.h5").string();
  { ASSERT_TRUE(CreateArchive(path, Swept(), Prov())); }
  // The run was killed while it wrote the journal's header.
  std::filesystem::resize_file(JournalPath(path), 30);
  auto header = ReadJournalHeader(JournalPath(path));
  ASSERT_TRUE(header) << header.error().ToString();
  EXPECT_FALSE(header->has_value());
  auto resumed = ResumeArchive(path, Swept(), Prov(), RestoreConfig);
  ASSERT_TRUE(resumed) << resumed.error().ToString();
  EXPECT_TRUE(resumed->done.empty());
}

TEST(Archive, AJournalOfOtherResultFieldsIsNotResumed) {
  auto dir = TempDir::Create();
  const std::string path = (dir->path() / "out.h5").string();
  auto journal = JournalWriter::Create(
      JournalPath(path),
      {.spec_sha256 = Prov().spec_sha256, .result_fields = {"step_time_s", "old_metric"}});
  ASSERT_TRUE(journal) << journal.error().ToString();
  auto resumed = ResumeArchive(path, Swept(), Prov(), RestoreConfig);
  ASSERT_FALSE(resumed);
  EXPECT_NE(resumed.error().message().find("other result fields"), std::string::npos)
      << resumed.error().ToString();
  EXPECT_NE(resumed.error().message().find("old_metric"), std::string::npos);
}

TEST(Journal, AnEmptyFileHasNoHeaderAndAnotherFileIsAnError) {
  auto dir = TempDir::Create();
  const std::string empty = (dir->path() / "empty").string();
  std::ofstream(empty) << "";
  auto header = ReadJournalHeader(empty);
  ASSERT_TRUE(header) << header.error().ToString();
  EXPECT_FALSE(header->has_value());
  const std::string other = (dir->path() / "other").string();
  std::ofstream(other) << "\x05hello";
  EXPECT_FALSE(ReadJournalHeader(other));
}

// A symbolic link planted at the lock's, the journal's or the archive's
// path is never followed: the run refuses, and what it points to (or would
// create) is untouched.
TEST(Archive, ALinkAtAnOutputPathIsNeverFollowed) {
  auto dir = TempDir::Create();
  const std::string path = (dir->path() / "out.h5").string();
  const std::string victim = (dir->path() / "victim.txt").string();
  std::ofstream(victim) << "precious";
  std::filesystem::create_symlink(victim, path + ".lock");
  auto lock = ArchiveLock::Acquire(path);
  ASSERT_FALSE(lock);
  EXPECT_NE(lock.error().message().find("symbolic link"), std::string::npos)
      << lock.error().ToString();
  std::ifstream in(victim);
  std::string text;
  in >> text;
  EXPECT_EQ(text, "precious");

  for (const std::string& planted : {path, JournalPath(path)}) {
    const std::string target = (dir->path() / "created-through-a-link").string();
    std::filesystem::create_symlink(target, planted);  // dangling
    EXPECT_FALSE(CreateArchive(path, Swept(), Prov())) << planted;
    EXPECT_FALSE(std::filesystem::exists(target)) << planted;
    std::filesystem::remove(planted);
  }
}

TEST(Archive, TheLockKeepsASecondRunOut) {
  auto dir = TempDir::Create();
  const std::string path = (dir->path() / "out.h5").string();
  auto first = ArchiveLock::Acquire(path);
  ASSERT_TRUE(first);
  // flock locks belong to open files: a second open in this process
  // conflicts just as another process would.
  auto second = ArchiveLock::Acquire(path);
  ASSERT_FALSE(second);
  EXPECT_NE(second.error().message().find("another run"), std::string::npos);
  EXPECT_NE(second.error().message().find("pid " + std::to_string(::getpid())), std::string::npos);
  EXPECT_EQ(ArchiveLock::Holder(path), "pid " + std::to_string(::getpid()));
  { ArchiveLock released = std::move(*first); }
  EXPECT_EQ(ArchiveLock::Holder(path), std::nullopt);
}

}  // namespace
}  // namespace astrasweep::store
