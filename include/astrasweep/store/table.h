// HDF5 files and tables behind a thin RAII layer (README.md, "The archive").
// A table is a 1-D extendible compound dataset, chunked, deflate + shuffle,
// with the HDF5 Table attributes (CLASS=TABLE, VERSION, TITLE,
// FIELD_<n>_NAME) so h5py, pandas and PyTables all read it. Strings are
// fixed-length (what PyTables tables hold), padded with NULs. Columns are
// written and read through typed handles (Col<T>). The HDF5 C API stays
// inside this module.
#pragma once

#include <concepts>
#include <cstdint>
#include <cstring>
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

std::size_t ColumnSize(const Column& column);

// The C++ type a column of each type holds.
template <typename T>
constexpr ColumnType ColumnTypeOf();
template <>
constexpr ColumnType ColumnTypeOf<std::int64_t>() { return ColumnType::kInt64; }
template <>
constexpr ColumnType ColumnTypeOf<std::uint64_t>() { return ColumnType::kUInt64; }
template <>
constexpr ColumnType ColumnTypeOf<double>() { return ColumnType::kFloat64; }
template <>
constexpr ColumnType ColumnTypeOf<bool>() { return ColumnType::kBool; }
template <>
constexpr ColumnType ColumnTypeOf<std::string_view>() { return ColumnType::kString; }

// A typed handle to one column of one ColumnSet: it writes and reads only
// values of type T, and only in rows made from that set (RowBuffer checks
// the set and throws std::logic_error otherwise: a bug, never silent).
template <typename T>
class Col {
 public:
  Col() = default;
  std::size_t index() const { return index_; }

 private:
  friend class ColumnSet;
  friend class RowBuffer;
  Col(std::size_t index, std::uint64_t set) : index_(index), set_(set) {}
  std::size_t index_ = 0;
  std::uint64_t set_ = 0;
};

// The columns of a table, in order, each added with its type.
class ColumnSet {
 public:
  ColumnSet();
  template <typename T>
  Col<T> Add(std::string name, std::size_t length = 0) {
    columns_.push_back({std::move(name), ColumnTypeOf<T>(), length});
    return Col<T>(columns_.size() - 1, id_);
  }
  // A column as a file stores it (its type known only at run time): for
  // reading columns a report shows as text (RowBuffer::Text).
  std::size_t AddAsStored(const Column& column) {
    columns_.push_back(column);
    return columns_.size() - 1;
  }
  const std::vector<Column>& columns() const { return columns_; }
  std::uint64_t id() const { return id_; }

 private:
  std::vector<Column> columns_;
  std::uint64_t id_;
};

// Rows packed in the table's memory layout, filled through typed handles.
class RowBuffer {
 public:
  RowBuffer() = default;  // no columns: assign a RowBuffer(columns) before use
  explicit RowBuffer(const ColumnSet& columns);
  const std::vector<Column>& columns() const { return columns_; }
  std::size_t row_size() const { return row_size_; }
  std::size_t rows() const { return rows_; }
  const std::uint8_t* data() const { return data_.data(); }

  void AddRow();  // zero-filled; Set writes into the last row

  // Only a value of the column's own type compiles (no silent int to double
  // or string literal to bool); strings take anything that is a string.
  template <typename T, typename V>
    requires(std::same_as<std::remove_cvref_t<V>, T> ||
             (std::same_as<T, std::string_view> && std::convertible_to<V, std::string_view>))
  void Set(Col<T> column, V&& value) {
    Check(column.set_, column.index_);
    if constexpr (std::same_as<T, std::string_view>)
      SetString(column.index_, std::string_view(value));
    else
      std::memcpy(LastRowCell(column.index_), &value, sizeof(T));
  }

  template <typename T>
  T Get(std::size_t row, Col<T> column) const {
    Check(column.set_, column.index_);
    if constexpr (std::same_as<T, std::string_view>) {
      return String(row, column.index_);
    } else if constexpr (std::same_as<T, bool>) {
      // A flag is a byte, which a table written elsewhere may hold any
      // value in (a u1 column): nonzero is true.
      return Byte(row, column) != 0;
    } else {
      T value;
      std::memcpy(&value, Cell(row, column.index_), sizeof(T));
      return value;
    }
  }
  // A flag's byte as stored: 0 and 1 for astrasweep's own flags, any value
  // in a 1-byte integer column another tool wrote (read as a flag column).
  std::uint8_t Byte(std::size_t row, Col<bool> column) const {
    Check(column.set_, column.index_);
    return *Cell(row, column.index_);
  }
  // Any column as text ("8", "0.5", "true", "gpt-13b"): for reports.
  std::string Text(std::size_t row, std::size_t column) const;

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

 private:
  void Check(std::uint64_t set, std::size_t column) const;
  void SetString(std::size_t column, std::string_view value);
  std::string_view String(std::size_t row, std::size_t column) const;
  std::uint8_t* LastRowCell(std::size_t column) {
    return data_.data() + (rows_ - 1) * row_size_ + offsets_[column];
  }
  const std::uint8_t* Cell(std::size_t row, std::size_t column) const {
    return data_.data() + row * row_size_ + offsets_[column];
  }
  std::vector<Column> columns_;
  std::uint64_t set_ = 0;
  std::vector<std::size_t> offsets_;
  std::size_t row_size_ = 0;
  std::size_t rows_ = 0;
  std::vector<std::uint8_t> data_;
};

class File {
 public:
  // A new file at `path`; anything there already (a file, a link) is an
  // error. Messages name it `named_as` when given: a file built aside, to
  // be renamed to that path when it is whole.
  static Expected<File> Create(const std::string& path, const std::string& named_as = {});
  enum class Access { kReadOnly, kReadWrite };
  static Expected<File> Open(const std::string& path, Access access);
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

class Table {
 public:
  static Expected<Table> Create(File& file, const std::string& name, const ColumnSet& columns,
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
