// Tables as users read them: written here, read back with Debian's h5py
// into pandas and with PyTables, the attributes HDF5 Table readers need.
#include "astrasweep/store/table.h"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>

#include "astrasweep/base/temp_dir.h"
#include "shell.h"

namespace astrasweep::store {
namespace {

struct PointColumns {
  ColumnSet set;
  Col<std::uint64_t> index = set.Add<std::uint64_t>("index");
  Col<std::string_view> id = set.Add<std::string_view>("id", 32);
  Col<std::string_view> status = set.Add<std::string_view>("status", 10);
  Col<std::int64_t> stage = set.Add<std::int64_t>("stage");
  Col<double> step_time_s = set.Add<double>("step_time_s");
  Col<bool> fits_memory = set.Add<bool>("fits_memory");
};

TEST(Table, WrittenInBatchesAndReadByH5pyPandasAndPyTables) {
  auto dir = TempDir::Create("table-test");
  ASSERT_TRUE(dir);
  const std::string path = (dir->path() / "t.h5").string();
  {
    auto file = File::Create(path);
    ASSERT_TRUE(file) << file.error().ToString();
    ASSERT_TRUE(file->SetAttribute("schema_version", std::int64_t{1}));
    ASSERT_TRUE(file->SetAttribute("status", "partial"));
    ASSERT_TRUE(file->SetAttribute("status", "complete"));  // replaces
    const PointColumns c;
    auto table = Table::Create(*file, "points", c.set, "config points", 2);
    ASSERT_TRUE(table) << table.error().ToString();
    RowBuffer rows(c.set);
    for (std::uint64_t batch = 0; batch < 3; ++batch) {
      rows.Clear();
      for (std::uint64_t i = 0; i < 3; ++i) {
        const std::uint64_t index = batch * 3 + i;
        rows.AddRow();
        rows.Set(c.index, index);
        rows.Set(c.id, std::string(32, static_cast<char>('a' + index)));
        rows.Set(c.status, index % 2 ? "failed" : "ok");
        rows.Set(c.stage, -static_cast<std::int64_t>(index));
        rows.Set(c.step_time_s, 0.5 * static_cast<double>(index));
        rows.Set(c.fits_memory, index % 3 == 0);
      }
      ASSERT_TRUE(table->Append(rows));
    }
    EXPECT_EQ(table->rows(), 9u);
    EXPECT_EQ(*file->StringAttribute("status"), "complete");
    EXPECT_FALSE(file->StringAttribute("nothing"));
  }
  const std::string python = testing::PythonWithH5();
  ASSERT_FALSE(python.empty()) << "no python3 with h5py, pandas and tables (tools/setup installs "
                                  "python3-h5py, python3-pandas, python3-tables)";
  const std::string script = R"(
import sys, h5py, pandas as pd, tables
with h5py.File(sys.argv[1], 'r') as f:
    df = pd.DataFrame(f['points'][:])
    assert list(df.columns) == ['index','id','status','stage','step_time_s','fits_memory'], df.columns
    assert len(df) == 9
    assert list(df['index']) == list(range(9))
    assert df['status'][1] == b'failed' and df['status'][2] == b'ok'
    assert df['id'][2] == b'c' * 32
    assert df['stage'][4] == -4 and df['step_time_s'][4] == 2.0
    assert list(df['fits_memory']) == [1,0,0,1,0,0,1,0,0]
    assert f.attrs['status'] == b'complete' or f.attrs['status'] == 'complete'
    assert f.attrs['schema_version'] == 1
    assert f['points'].attrs['CLASS'] in (b'TABLE', 'TABLE')
    assert f['points'].compression == 'gzip' and f['points'].shuffle
with tables.open_file(sys.argv[1]) as t:
    node = t.root.points
    assert isinstance(node, tables.Table), type(node)
    assert node.nrows == 9 and node.title == 'config points'
    assert node.col('step_time_s')[8] == 4.0
print('read ok')
)";
  const std::string script_path = (dir->path() / "read.py").string();
  FILE* f = std::fopen(script_path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs(script.c_str(), f);
  std::fclose(f);
  int code = -1;
  const std::string out = testing::Capture(python + " " + script_path + " " + path, &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("read ok"), std::string::npos) << out;
}

TEST(Table, ErrorsNameTheFile) {
  auto missing = File::Open("/nonexistent/dir/a.h5", File::Access::kReadOnly);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().ToString().find("/nonexistent/dir/a.h5"), std::string::npos);
  auto dir = TempDir::Create("table-test");
  ASSERT_TRUE(dir);
  const std::string junk = (dir->path() / "junk.h5").string();
  FILE* f = std::fopen(junk.c_str(), "w");
  std::fputs("not hdf5", f);
  std::fclose(f);
  auto damaged = File::Open(junk, File::Access::kReadOnly);
  ASSERT_FALSE(damaged);
  EXPECT_NE(damaged.error().message().find("not an HDF5 file"), std::string::npos);
  auto created = File::Create((dir->path() / "x.h5").string());
  ASSERT_TRUE(created);
  const PointColumns c;
  ASSERT_TRUE(Table::Create(*created, "points", c.set, ""));
  auto twice = Table::Create(*created, "points", c.set, "");
  ASSERT_FALSE(twice);
  EXPECT_NE(twice.error().message().find("/points"), std::string::npos);
}

TEST(Table, AHandleOfAnotherTableIsRefusedAndColumnsReadWithTheReadersTypes) {
  const PointColumns a, b;
  RowBuffer rows(a.set);
  rows.AddRow();
  rows.Set(a.step_time_s, 1.5);
  EXPECT_THROW(rows.Set(b.step_time_s, 2.5), std::logic_error)
      << "a handle of another column set must not write silently";
  EXPECT_EQ(rows.Get(0, a.step_time_s), 1.5);
  EXPECT_EQ(rows.Text(0, a.step_time_s.index()), "1.5");
  EXPECT_EQ(rows.Text(0, a.fits_memory.index()), "false");

  // A column stored as one byte (as h5py may write a bool) read as a
  // double: HDF5 converts, nothing is read past the row.
  auto dir = TempDir::Create("table-test");
  ASSERT_TRUE(dir);
  const std::string path = (dir->path() / "t.h5").string();
  auto file = File::Create(path);
  ASSERT_TRUE(file);
  auto table = Table::Create(*file, "points", a.set, "");
  ASSERT_TRUE(table);
  rows.Set(a.fits_memory, true);
  ASSERT_TRUE(table->Append(rows));
  ColumnSet wanted;
  const auto fits_as_number = wanted.Add<double>("fits_memory");
  RowBuffer read(wanted);
  ASSERT_TRUE(table->Read(0, 1, read));
  EXPECT_EQ(read.Get(0, fits_as_number), 1.0);
}

}  // namespace
}  // namespace astrasweep::store
