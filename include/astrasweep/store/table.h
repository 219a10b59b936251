// HDF5 files and tables behind a thin RAII layer (DESIGN.md section 9).
// A table is a 1-D extendible compound dataset, chunked, deflate + shuffle,
// with the HDF5 Table attributes (CLASS=TABLE, VERSION, TITLE,
// FIELD_<n>_NAME) so h5py, pandas and PyTables all read it. Strings are
// fixed-length (what PyTables tables hold), padded with NULs. The HDF5 C API
// stays inside this module.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "astrasweep/base/error.h"

namespace astrasweep::store {

enum class ColumnType { kInt64, kUInt64, kFloat64, kBool, kString };

struct Column {
  std::string name;
  ColumnType type = ColumnType::kFloat64;
  std::size_t length = 0;  // kString: bytes, longer values are cut
};

class File {
 public:
  // A new file, replacing any at `path`.
  static Expected<File> Create(const std::string& path);
  static Expected<File> Open(const std::string& path, bool writable);
  File(File&&) noexcept;
  File& operator=(File&&) noexcept;
  ~File();

  const std::string& path() const;
  // Root attributes: a string (fixed length, as PyTables writes them) or a
  // 64-bit integer; setting one again replaces it.
  Status SetAttribute(std::string_view name, std::string_view value);
  Status SetAttribute(std::string_view name, std::int64_t value);
  Expected<std::string> StringAttribute(std::string_view name) const;
  Expected<std::int64_t> Int64Attribute(std::string_view name) const;
  // The root attributes' names, in name order.
  std::vector<std::string> AttributeNames() const;
  bool HasObject(std::string_view name) const;
  Status Flush();

 private:
  struct Impl;
  explicit File(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  friend class Table;
};

// Rows packed in the table's memory layout, filled column by column.
class RowBuffer {
 public:
  explicit RowBuffer(std::vector<Column> columns);
  const std::vector<Column>& columns() const { return columns_; }
  std::size_t row_size() const { return row_size_; }
  std::size_t rows() const { return rows_; }
  const std::uint8_t* data() const { return data_.data(); }

  void AddRow();  // zero-filled; the setters write into the last row
  void Set(std::size_t column, std::int64_t value);
  void Set(std::size_t column, std::uint64_t value);
  void Set(std::size_t column, double value);
  void Set(std::size_t column, bool value);
  void Set(std::size_t column, std::string_view value);
  // Without this, a string literal would convert to bool, not string_view.
  void Set(std::size_t column, const char* value) { Set(column, std::string_view(value)); }
  void Clear() {
    data_.clear();
    rows_ = 0;
  }
  // Zero-filled rows, for reading into.
  void Resize(std::size_t rows) {
    data_.assign(rows * row_size_, 0);
    rows_ = rows;
  }
  std::uint8_t* mutable_data() { return data_.data(); }

  // The column's position, or -1.
  int Find(std::string_view name) const;
  std::int64_t Int64(std::size_t row, std::size_t column) const;
  std::uint64_t UInt64(std::size_t row, std::size_t column) const;
  double Float64(std::size_t row, std::size_t column) const;
  bool Bool(std::size_t row, std::size_t column) const;
  std::string_view String(std::size_t row, std::size_t column) const;

 private:
  std::uint8_t* Cell(std::size_t column);
  const std::uint8_t* Cell(std::size_t row, std::size_t column) const {
    return data_.data() + row * row_size_ + offsets_[column];
  }
  std::vector<Column> columns_;
  std::vector<std::size_t> offsets_;
  std::size_t row_size_ = 0;
  std::size_t rows_ = 0;
  std::vector<std::uint8_t> data_;
};

std::size_t ColumnSize(const Column& column);

class Table {
 public:
  static Expected<Table> Create(File& file, const std::string& name, std::vector<Column> columns,
                                std::string_view title, std::size_t chunk_rows = 4096);
  // An existing table, its columns as stored.
  static Expected<Table> Open(const File& file, const std::string& name);
  Table(Table&&) noexcept;
  Table& operator=(Table&&) noexcept;
  ~Table();

  const std::vector<Column>& columns() const;
  std::uint64_t rows() const;
  // Appends the buffer's rows; its columns must be the table's.
  Status Append(const RowBuffer& rows);
  // Reads rows [start, start + count) into `out`, which is resized. Its
  // columns may be any subset of the table's, in any order: HDF5 matches
  // them by name.
  Status Read(std::uint64_t start, std::uint64_t count, RowBuffer& out) const;

 private:
  struct Impl;
  explicit Table(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace astrasweep::store
