// The HDF5 layer of table.h: every hid_t lives in a Handle that closes it,
// and every failing call becomes an Error naming the file and object.
#include "astrasweep/store/table.h"

#include <fmt/format.h>
#include <hdf5.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <utility>

namespace astrasweep::store {
namespace {

// An HDF5 identifier with the function that releases it.
class Handle {
 public:
  Handle() = default;
  Handle(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  Handle(Handle&& o) noexcept : id_(std::exchange(o.id_, H5I_INVALID_HID)), close_(o.close_) {}
  Handle& operator=(Handle&& o) noexcept {
    if (this != &o) {
      Reset();
      id_ = std::exchange(o.id_, H5I_INVALID_HID);
      close_ = o.close_;
    }
    return *this;
  }
  ~Handle() { Reset(); }
  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }

 private:
  void Reset() {
    if (id_ >= 0 && close_) close_(id_);
    id_ = H5I_INVALID_HID;
  }
  hid_t id_ = H5I_INVALID_HID;
  herr_t (*close_)(hid_t) = nullptr;
};

// HDF5 prints its error stack to stderr by default; the errors are ours to
// report.
//
// And at exit, HDF5 closes what is still open; a file whose close failed (a
// full disk) made that crash (SIGSEGV). Files are closed by their owners
// here, and the journal holds whatever a failed close lost, so HDF5's own
// exit handler is not installed (this must come before the library starts).
void SilenceHdf5() {
  static const bool silenced = [] {
    H5dont_atexit();
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    return true;
  }();
  (void)silenced;
}

// HDF5's error stack is silenced; the reason a write failed, when it is
// the system's (a full disk), is still in errno.
std::unexpected<Error> Hdf5Error(const std::string& what, const std::string& path) {
  const int e = errno;
  const bool system = e == ENOSPC || e == EDQUOT || e == EIO || e == EROFS || e == EFBIG;
  return MakeError(ErrorCode::kIo, system ? what + ": " + std::strerror(e) : what, {.file = path});
}

Handle StringType(std::size_t length, H5T_str_t pad) {
  Handle t(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(t.get(), std::max<std::size_t>(length, 1));
  H5Tset_strpad(t.get(), pad);
  return t;
}

Status WriteStringAttribute(hid_t object, std::string_view name, std::string_view value,
                            const std::string& path) {
  const std::string key(name);
  if (H5Aexists(object, key.c_str()) > 0) H5Adelete(object, key.c_str());
  Handle type = StringType(value.size() + 1, H5T_STR_NULLTERM);
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle attr(H5Acreate2(object, key.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
              H5Aclose);
  const std::string text(value);
  if (!attr.valid() || H5Awrite(attr.get(), type.get(), text.c_str()) < 0)
    return Hdf5Error("cannot write attribute '" + key + "'", path);
  return Ok();
}

// The compound type of a row of `columns`, packed in the order given; the
// same layout in memory and on disk. Invalid when a member is refused.
Handle CompoundType(const std::vector<Column>& columns) {
  std::size_t size = 0;
  for (const Column& c : columns) size += ColumnSize(c);
  Handle type(H5Tcreate(H5T_COMPOUND, std::max<std::size_t>(size, 1)), H5Tclose);
  std::size_t offset = 0;
  for (const Column& c : columns) {
    Handle string;
    hid_t member = H5T_NATIVE_DOUBLE;
    switch (c.type) {
      case ColumnType::kInt64: member = H5T_NATIVE_INT64; break;
      case ColumnType::kUInt64: member = H5T_NATIVE_UINT64; break;
      case ColumnType::kFloat64: member = H5T_NATIVE_DOUBLE; break;
      case ColumnType::kBool: member = H5T_NATIVE_UINT8; break;
      case ColumnType::kString:
        string = StringType(ColumnSize(c), H5T_STR_NULLPAD);
        member = string.get();
        break;
    }
    if (H5Tinsert(type.get(), c.name.c_str(), offset, member) < 0) return Handle();
    offset += ColumnSize(c);
  }
  return type;
}

// The columns of a compound type read from a file.
Expected<std::vector<Column>> ColumnsOf(hid_t type, const std::string& what,
                                        const std::string& path) {
  std::vector<Column> columns;
  const int n = H5Tget_nmembers(type);
  if (H5Tget_class(type) != H5T_COMPOUND || n < 0)
    return Hdf5Error(what + " is not a table (a compound dataset)", path);
  for (int i = 0; i < n; ++i) {
    const unsigned m = static_cast<unsigned>(i);
    char* raw = H5Tget_member_name(type, m);
    Column c{.name = raw ? raw : "", .type = ColumnType::kFloat64, .length = 0};
    H5free_memory(raw);
    Handle member(H5Tget_member_type(type, m), H5Tclose);
    const std::size_t size = H5Tget_size(member.get());
    switch (H5Tget_class(member.get())) {
      case H5T_INTEGER:
        // astrasweep writes 8-byte integers and 1-byte booleans; a table
        // rewritten elsewhere (h5py, pandas) may narrow them. Every column
        // is read through HDF5's conversion into the reader's own type, so
        // a width is only a hint of what the column means.
        if (size == 1)
          c.type = ColumnType::kBool;
        else if (size == 2 || size == 4 || size == 8)
          c.type =
              H5Tget_sign(member.get()) == H5T_SGN_NONE ? ColumnType::kUInt64 : ColumnType::kInt64;
        else
          return Hdf5Error(what + ": column '" + c.name + "' has integers of " +
                               std::to_string(size) + " bytes; this reader knows 1, 2, 4 and 8",
                           path);
        break;
      case H5T_FLOAT: c.type = ColumnType::kFloat64; break;
      case H5T_STRING:
        c.type = ColumnType::kString;
        c.length = size;
        break;
      default: return Hdf5Error(what + ": column '" + c.name + "' has an unknown type", path);
    }
    columns.push_back(std::move(c));
  }
  return columns;
}

}  // namespace

std::size_t ColumnSize(const Column& c) {
  switch (c.type) {
    case ColumnType::kInt64:
    case ColumnType::kUInt64:
    case ColumnType::kFloat64: return 8;
    case ColumnType::kBool: return 1;
    case ColumnType::kString: return std::max<std::size_t>(c.length, 1);
  }
  return 8;
}

// ---------------------------------------------------------------- File

struct File::Impl {
  std::string path;
  Handle file;
};

File::File(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
File::File(File&&) noexcept = default;
File& File::operator=(File&&) noexcept = default;
File::~File() = default;

Expected<File> File::Create(const std::string& path, const std::string& named_as) {
  SilenceHdf5();
  auto impl = std::make_unique<Impl>();
  impl->path = named_as.empty() ? path : named_as;
  // Attributes in dense storage, which has no 64 KiB limit (a spec is one);
  // it needs the file format of HDF5 1.8, which every reader since has.
  Handle fcpl(H5Pcreate(H5P_FILE_CREATE), H5Pclose);
  H5Pset_attr_phase_change(fcpl.get(), 0, 0);
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  H5Pset_libver_bounds(fapl.get(), H5F_LIBVER_V18, H5F_LIBVER_V18);
  // Created, never overwritten: a file or a symbolic link (even a dangling
  // one) already at the path is left alone.
  std::error_code ec;
  if (std::filesystem::exists(std::filesystem::symlink_status(path, ec)))
    return MakeError(ErrorCode::kInvalidInput,
                     "cannot create the HDF5 file: something is at its path already (an HDF5 "
                     "file is never written through a symbolic link or over a file)",
                     {.file = path});
  impl->file = Handle(H5Fcreate(path.c_str(), H5F_ACC_EXCL, fcpl.get(), fapl.get()), H5Fclose);
  if (!impl->file.valid())
    return Hdf5Error("cannot create the HDF5 file (is the directory writable?)", path);
  return File(std::move(impl));
}

Expected<File> File::Open(const std::string& path, Access access) {
  SilenceHdf5();
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  if (H5Fis_hdf5(path.c_str()) <= 0)
    return MakeError(ErrorCode::kInvalidInput, "not an HDF5 file, or damaged", {.file = path});
  impl->file = Handle(H5Fopen(path.c_str(), access == Access::kReadWrite ? H5F_ACC_RDWR : H5F_ACC_RDONLY,
                              H5P_DEFAULT),
                      H5Fclose);
  if (!impl->file.valid()) {
    // HDF5 found its signature but not the rest: a file cut short (a copy
    // interrupted, a disk that filled) or damaged, the same mistake in the
    // input as a file that is no HDF5 at all. A file that cannot be read is
    // the system's error.
    if (::access(path.c_str(), access == Access::kReadWrite ? R_OK | W_OK : R_OK) != 0)
      return MakeError(ErrorCode::kIo, std::string("cannot open: ") + std::strerror(errno),
                       {.file = path});
    std::error_code ec;
    const auto bytes = std::filesystem::file_size(path, ec);
    return MakeError(ErrorCode::kInvalidInput,
                     "an HDF5 file that is truncated or damaged (" +
                         (ec ? std::string("its size unknown") : std::to_string(bytes) + " bytes") +
                         "): HDF5 finds its signature but cannot read the rest",
                     {.file = path});
  }
  return File(std::move(impl));
}

const std::string& File::path() const { return impl_->path; }

Status File::SetAttribute(std::string_view name, std::string_view value) {
  return WriteStringAttribute(impl_->file.get(), name, value, impl_->path);
}

Status File::SetAttribute(std::string_view name, std::int64_t value) {
  const std::string key(name);
  const hid_t f = impl_->file.get();
  if (H5Aexists(f, key.c_str()) > 0) H5Adelete(f, key.c_str());
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle attr(H5Acreate2(f, key.c_str(), H5T_STD_I64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT),
              H5Aclose);
  if (!attr.valid() || H5Awrite(attr.get(), H5T_NATIVE_INT64, &value) < 0)
    return Hdf5Error("cannot write attribute '" + key + "'", impl_->path);
  return Ok();
}

Expected<std::string> File::StringAttribute(std::string_view name) const {
  const std::string key(name);
  Handle attr(H5Aopen(impl_->file.get(), key.c_str(), H5P_DEFAULT), H5Aclose);
  if (!attr.valid())
    return MakeError(ErrorCode::kNotFound, "no attribute '" + key + "'", {.file = impl_->path});
  Handle type(H5Aget_type(attr.get()), H5Tclose);
  if (H5Tget_class(type.get()) != H5T_STRING || H5Tis_variable_str(type.get()) > 0)
    return Hdf5Error("attribute '" + key + "' is not a fixed-length string", impl_->path);
  std::string value(H5Tget_size(type.get()), '\0');
  if (H5Aread(attr.get(), type.get(), value.data()) < 0)
    return Hdf5Error("cannot read attribute '" + key + "'", impl_->path);
  value.resize(std::strlen(value.c_str()));
  return value;
}

Expected<std::int64_t> File::Int64Attribute(std::string_view name) const {
  const std::string key(name);
  Handle attr(H5Aopen(impl_->file.get(), key.c_str(), H5P_DEFAULT), H5Aclose);
  if (!attr.valid())
    return MakeError(ErrorCode::kNotFound, "no attribute '" + key + "'", {.file = impl_->path});
  Handle type(H5Aget_type(attr.get()), H5Tclose);
  if (H5Tget_class(type.get()) != H5T_INTEGER)
    return Hdf5Error("attribute '" + key + "' is not an integer", impl_->path);
  std::int64_t value = 0;
  if (H5Aread(attr.get(), H5T_NATIVE_INT64, &value) < 0)
    return Hdf5Error("cannot read attribute '" + key + "'", impl_->path);
  return value;
}

std::vector<std::string> File::AttributeNames() const {
  std::vector<std::string> names;
  auto collect = [](hid_t, const char* name, const H5A_info_t*, void* data) -> herr_t {
    static_cast<std::vector<std::string>*>(data)->emplace_back(name);
    return 0;
  };
  hsize_t position = 0;
  H5Aiterate2(impl_->file.get(), H5_INDEX_NAME, H5_ITER_INC, &position, collect, &names);
  return names;
}

bool File::HasObject(std::string_view name) const {
  const std::string key(name);
  return H5Lexists(impl_->file.get(), key.c_str(), H5P_DEFAULT) > 0;
}

Status File::Flush() {
  if (H5Fflush(impl_->file.get(), H5F_SCOPE_GLOBAL) < 0)
    return Hdf5Error("cannot flush the HDF5 file", impl_->path);
  return Ok();
}

// ---------------------------------------------------------------- RowBuffer

namespace {
std::atomic<std::uint64_t> g_next_set{1};
}  // namespace

ColumnSet::ColumnSet() : id_(g_next_set.fetch_add(1)) {}

RowBuffer::RowBuffer(const ColumnSet& columns) : columns_(columns.columns()), set_(columns.id()) {
  for (const Column& c : columns_) {
    offsets_.push_back(row_size_);
    row_size_ += ColumnSize(c);
  }
}

void RowBuffer::AddRow() {
  data_.resize(data_.size() + row_size_, 0);
  ++rows_;
}

void RowBuffer::Check(std::uint64_t set, std::size_t column) const {
  if (set != set_ || column >= columns_.size())
    throw std::logic_error("a column handle used on rows of another table");
}

void RowBuffer::SetString(std::size_t column, std::string_view value) {
  if (columns_[column].type != ColumnType::kString)
    throw std::logic_error("text written to column '" + columns_[column].name + "'");
  const std::size_t n = std::min(value.size(), ColumnSize(columns_[column]));
  std::memcpy(LastRowCell(column), value.data(), n);
}

std::string_view RowBuffer::String(std::size_t row, std::size_t column) const {
  const char* p = reinterpret_cast<const char*>(Cell(row, column));
  return std::string_view(p, strnlen(p, ColumnSize(columns_[column])));
}

std::string RowBuffer::Text(std::size_t row, std::size_t column) const {
  const std::uint8_t* cell = Cell(row, column);
  auto read = [cell]<typename T>(T value) {
    std::memcpy(&value, cell, sizeof value);
    return value;
  };
  switch (columns_[column].type) {
    case ColumnType::kInt64: return std::to_string(read(std::int64_t{}));
    case ColumnType::kUInt64: return std::to_string(read(std::uint64_t{}));
    case ColumnType::kFloat64: return fmt::format("{:g}", read(double{}));
    case ColumnType::kBool:  // a 1-byte number another tool wrote reads as one
      return *cell == 0 ? "false" : *cell == 1 ? "true" : std::to_string(*cell);
    case ColumnType::kString: return std::string(String(row, column));
  }
  return "";
}

// ---------------------------------------------------------------- Table

struct Table::Impl {
  std::string path;  // of the file, for errors
  std::string name;
  std::vector<Column> columns;
  Handle dataset;
  Handle type;  // the compound type, in memory and on disk
  std::uint64_t rows = 0;
};

Table::Table(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Table::Table(Table&&) noexcept = default;
Table& Table::operator=(Table&&) noexcept = default;
Table::~Table() = default;

Expected<Table> Table::Create(File& file, const std::string& name, const ColumnSet& set,
                              std::string_view title, std::size_t chunk_rows) {
  const std::vector<Column>& columns = set.columns();
  auto impl = std::make_unique<Impl>();
  impl->path = file.path();
  impl->name = name;
  impl->type = CompoundType(columns);
  if (!impl->type.valid())
    return Hdf5Error("cannot define the columns of table /" + name, impl->path);
  const hsize_t zero = 0, unlimited = H5S_UNLIMITED, chunk = std::max<std::size_t>(chunk_rows, 1);
  Handle space(H5Screate_simple(1, &zero, &unlimited), H5Sclose);
  Handle plist(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  H5Pset_chunk(plist.get(), 1, &chunk);
  H5Pset_shuffle(plist.get());
  // Level 1: the archive is 4% larger than at level 4, and rank 0, which
  // shares the cores with the workers, spends a quarter less CPU storing.
  H5Pset_deflate(plist.get(), 1);
  impl->dataset = Handle(H5Dcreate2(file.impl_->file.get(), ("/" + name).c_str(), impl->type.get(),
                                    space.get(), H5P_DEFAULT, plist.get(), H5P_DEFAULT),
                         H5Dclose);
  if (!impl->dataset.valid())
    return Hdf5Error("cannot create table /" + name + " (does it exist already?)", impl->path);
  // The attributes of an HDF5 Table (the HDF5 high-level table spec, as
  // PyTables writes them).
  const hid_t ds = impl->dataset.get();
  ASTRASWEEP_RETURN_IF_ERROR(WriteStringAttribute(ds, "CLASS", "TABLE", impl->path));
  ASTRASWEEP_RETURN_IF_ERROR(WriteStringAttribute(ds, "VERSION", "2.7", impl->path));
  ASTRASWEEP_RETURN_IF_ERROR(WriteStringAttribute(ds, "TITLE", title, impl->path));
  for (std::size_t i = 0; i < columns.size(); ++i)
    ASTRASWEEP_RETURN_IF_ERROR(WriteStringAttribute(ds, "FIELD_" + std::to_string(i) + "_NAME",
                                                    columns[i].name, impl->path));
  impl->columns = columns;
  return Table(std::move(impl));
}

Expected<Table> Table::Open(const File& file, const std::string& name) {
  auto impl = std::make_unique<Impl>();
  impl->path = file.path();
  impl->name = name;
  const std::string object = "/" + name;
  if (!file.HasObject(object))
    return MakeError(ErrorCode::kNotFound,
                     "no table " + object + " (is this an astrasweep archive?)",
                     {.file = impl->path});
  impl->dataset = Handle(H5Dopen2(file.impl_->file.get(), object.c_str(), H5P_DEFAULT), H5Dclose);
  if (!impl->dataset.valid()) return Hdf5Error("cannot open table " + object, impl->path);
  Handle type(H5Dget_type(impl->dataset.get()), H5Tclose);
  ASTRASWEEP_ASSIGN_OR_RETURN(impl->columns, ColumnsOf(type.get(), "/" + name, impl->path));
  impl->type = CompoundType(impl->columns);
  Handle space(H5Dget_space(impl->dataset.get()), H5Sclose);
  hsize_t rows = 0;
  if (H5Sget_simple_extent_ndims(space.get()) != 1 ||
      H5Sget_simple_extent_dims(space.get(), &rows, nullptr) < 0)
    return Hdf5Error("table " + object + " is not one-dimensional", impl->path);
  impl->rows = rows;
  return Table(std::move(impl));
}

Status Table::Read(std::uint64_t start, std::uint64_t count, RowBuffer& out) const {
  if (start + count > impl_->rows)
    return MakeError(ErrorCode::kInternal, "reading past the end of table /" + impl_->name,
                     {.file = impl_->path});
  for (const Column& c : out.columns()) {
    const auto it = std::find_if(impl_->columns.begin(), impl_->columns.end(),
                                 [&](const Column& t) { return t.name == c.name; });
    if (it == impl_->columns.end())
      return MakeError(ErrorCode::kNotFound,
                       "table /" + impl_->name + " has no column '" + c.name + "'",
                       {.file = impl_->path});
  }
  out.Resize(static_cast<std::size_t>(count));
  if (count == 0) return Ok();
  Handle mem_type = CompoundType(out.columns());
  const hsize_t first = start, n = count;
  Handle file_space(H5Dget_space(impl_->dataset.get()), H5Sclose);
  H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, &first, nullptr, &n, nullptr);
  Handle mem_space(H5Screate_simple(1, &n, nullptr), H5Sclose);
  if (!mem_type.valid() || H5Dread(impl_->dataset.get(), mem_type.get(), mem_space.get(),
                                   file_space.get(), H5P_DEFAULT, out.mutable_data()) < 0)
    return Hdf5Error("cannot read rows of table /" + impl_->name + " (damaged?)", impl_->path);
  return Ok();
}

const std::vector<Column>& Table::columns() const { return impl_->columns; }
std::uint64_t Table::rows() const { return impl_->rows; }

Status Table::Append(const RowBuffer& rows) {
  if (rows.rows() == 0) return Ok();
  const auto& cols = rows.columns();
  bool same = cols.size() == impl_->columns.size();
  for (std::size_t i = 0; same && i < cols.size(); ++i)
    same = cols[i].name == impl_->columns[i].name && cols[i].type == impl_->columns[i].type &&
           ColumnSize(cols[i]) == ColumnSize(impl_->columns[i]);
  if (!same)
    return MakeError(ErrorCode::kInternal,
                     "rows for table /" + impl_->name + " have other columns than the table",
                     {.file = impl_->path});
  const hsize_t start = impl_->rows, count = rows.rows(), total = start + count;
  const hid_t ds = impl_->dataset.get();
  if (H5Dset_extent(ds, &total) < 0)
    return Hdf5Error("cannot extend table /" + impl_->name, impl_->path);
  Handle file_space(H5Dget_space(ds), H5Sclose);
  H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, &start, nullptr, &count, nullptr);
  Handle mem_space(H5Screate_simple(1, &count, nullptr), H5Sclose);
  if (H5Dwrite(ds, impl_->type.get(), mem_space.get(), file_space.get(), H5P_DEFAULT, rows.data()) <
      0)
    return Hdf5Error("cannot write rows to table /" + impl_->name, impl_->path);
  impl_->rows = total;
  return Ok();
}

}  // namespace astrasweep::store
