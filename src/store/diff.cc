// DiffArchives: both /points tables read whole, their rows matched (a merge
// join on index, or on id then index), and each pair compared column by
// column as the columns are stored.
#include "astrasweep/store/diff.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <tuple>

#include "astrasweep/exec/result_fields.h"
#include "astrasweep/store/archive_reader.h"
#include "stored_columns.h"

namespace astrasweep::store {
namespace {

// /points of one archive, in memory.
class PointsTable {
 public:
  static Expected<PointsTable> Load(const std::string& path) {
    ASTRASWEEP_ASSIGN_OR_RETURN(File file, OpenArchiveToRead(path));
    ASTRASWEEP_ASSIGN_OR_RETURN(Table table, Table::Open(file, "points"));
    PointsTable points;
    points.path_ = path;
    points.spec_sha256_ = AttributeText(file, "spec_sha256");
    ColumnSet set;
    for (const Column& column : table.columns()) {
      points.names_.push_back(column.name);
      points.columns_.push_back(AddStored(set, column));
    }
    points.rows_ = RowBuffer(set);
    ASTRASWEEP_RETURN_IF_ERROR(table.Read(0, table.rows(), points.rows_));
    for (const char* name : {"index", "id", "status"})
      if (!points.Find(name))
        return MakeError(ErrorCode::kInvalidInput,
                         std::string("/points has no column '") + name + "' (damaged?)",
                         {.file = path});
    return points;
  }

  const std::string& path() const { return path_; }
  const std::string& spec_sha256() const { return spec_sha256_; }
  std::size_t rows() const { return rows_.rows(); }
  const std::vector<std::string>& names() const { return names_; }
  std::optional<std::size_t> Find(std::string_view name) const {
    auto it = std::find(names_.begin(), names_.end(), name);
    if (it == names_.end()) return std::nullopt;
    return static_cast<std::size_t>(it - names_.begin());
  }
  std::optional<double> Number(std::size_t row, std::size_t column) const {
    return StoredNumber(rows_, row, columns_[column]);
  }
  std::string Text(std::size_t row, std::size_t column) const {
    return rows_.Text(row, StoredIndex(columns_[column]));
  }
  std::uint64_t Index(std::size_t row) const {
    return static_cast<std::uint64_t>(Number(row, *Find("index")).value_or(0));
  }

 private:
  std::string path_, spec_sha256_;
  std::vector<std::string> names_;
  std::vector<StoredCol> columns_;
  RowBuffer rows_;
};

struct Matching {
  bool by_index = true;
  std::vector<std::pair<std::size_t, std::size_t>> pairs;  // rows of A and B
  std::vector<std::size_t> only_a, only_b;
  std::size_t unkeyed_a = 0, unkeyed_b = 0;  // no id (never built): not matched by id
};

// A row's key: its id (matched by id) and index.
struct Keyed {
  std::string id;
  std::uint64_t index;
  std::size_t row;
  auto Key() const { return std::tie(id, index); }
};

// Rows in key order: by index, or by (id, index) leaving out rows without
// an id (their config could not be built).
std::vector<Keyed> Ordered(const PointsTable& table, bool by_index, std::size_t& unkeyed) {
  std::vector<Keyed> rows;
  const std::size_t id = *table.Find("id");
  for (std::size_t r = 0; r < table.rows(); ++r) {
    Keyed keyed{by_index ? std::string() : table.Text(r, id), table.Index(r), r};
    if (by_index || !keyed.id.empty()) rows.push_back(std::move(keyed));
  }
  unkeyed = table.rows() - rows.size();
  std::sort(rows.begin(), rows.end(),
            [](const Keyed& x, const Keyed& y) { return x.Key() < y.Key(); });
  return rows;
}

// A merge join; points of the same id pair in index order.
Matching Match(const PointsTable& a, const PointsTable& b) {
  Matching m;
  m.by_index = !a.spec_sha256().empty() && a.spec_sha256() == b.spec_sha256();
  const auto rows_a = Ordered(a, m.by_index, m.unkeyed_a);
  const auto rows_b = Ordered(b, m.by_index, m.unkeyed_b);
  std::size_t i = 0, j = 0;
  while (i < rows_a.size() && j < rows_b.size()) {
    // Matched by id, the indices only order a run of equal ids.
    const bool a_first =
        m.by_index ? rows_a[i].index < rows_b[j].index : rows_a[i].id < rows_b[j].id;
    const bool b_first =
        m.by_index ? rows_b[j].index < rows_a[i].index : rows_b[j].id < rows_a[i].id;
    if (a_first)
      m.only_a.push_back(rows_a[i++].row);
    else if (b_first)
      m.only_b.push_back(rows_b[j++].row);
    else
      m.pairs.emplace_back(rows_a[i++].row, rows_b[j++].row);
  }
  for (; i < rows_a.size(); ++i) m.only_a.push_back(rows_a[i].row);
  for (; j < rows_b.size(); ++j) m.only_b.push_back(rows_b[j].row);
  return m;
}

// A column compared in both tables.
struct Compared {
  std::string name;
  std::size_t in_a, in_b;
};

bool Fixed(const std::string& name) {
  return name == "index" || name == "id" || name == "status" || name == "mode" ||
         name == "eval_s" || name == "worker_rank";
}

// status, mode, the result fields but the per-run ones, and (matched by
// index) the id and the swept columns.
std::vector<Compared> ComparedColumns(const PointsTable& a, const PointsTable& b, bool by_index,
                                      std::vector<std::string>& one_sided) {
  std::vector<Compared> compared;
  for (std::size_t c = 0; c < a.names().size(); ++c) {
    const std::string& name = a.names()[c];
    const auto field = exec::FindResultField(name);
    if (name == "index" || name == "eval_s" || name == "worker_rank") continue;
    if (field && exec::ResultFields()[*field].per_run) continue;
    if (!by_index && (name == "id" || (!field && !Fixed(name)))) continue;
    if (auto in_b = b.Find(name))
      compared.push_back({name, c, *in_b});
    else
      one_sided.push_back(name + " (only in A)");
  }
  for (const std::string& name : b.names())
    if (!a.Find(name) && (by_index || Fixed(name) || exec::FindResultField(name)))
      one_sided.push_back(name + " (only in B)");
  return compared;
}

std::string Points(std::size_t n) { return fmt::format("{} point{}", n, n == 1 ? "" : "s"); }

std::string Relative(double a, double b) {
  if (a == 0) return b > 0 ? "+inf" : "-inf";
  return fmt::format("{:+.3g}%", 100 * (b - a) / std::fabs(a));
}

// What pairs differ in, gathered for the report.
class Differences {
 public:
  Differences(const PointsTable& a, const PointsTable& b, const DiffOptions& options, bool by_index)
      : a_(a), b_(b), options_(options), by_index_(by_index) {}

  void Compare(std::size_t ra, std::size_t rb, const std::vector<Compared>& columns) {
    std::vector<std::string> details;
    for (const Compared& c : columns) {
      const auto x = a_.Number(ra, c.in_a), y = b_.Number(rb, c.in_b);
      if (x && y) {
        if (Same(*x, *y)) continue;
        const double size = *x == 0 ? INFINITY : std::fabs(*y - *x) / std::fabs(*x);
        ColumnStats& stats = by_column_[c.name];
        ++stats.points;
        if (size > stats.largest) stats = {stats.points, size, Label(ra, rb), Relative(*x, *y)};
        details.push_back(
            fmt::format("{} {:.6g} -> {:.6g} ({})", c.name, *x, *y, Relative(*x, *y)));
        continue;
      }
      const std::string s = a_.Text(ra, c.in_a), t = b_.Text(rb, c.in_b);
      if (s == t) continue;
      if (c.name == "status")
        ++status_changes_[s + " -> " + t];
      else
        ++by_column_[c.name].points;
      details.push_back(fmt::format("{} {} -> {}", c.name, s, t));
    }
    if (details.empty()) return;
    ++points_;
    if (listed_.size() < options_.limit)
      listed_.push_back(Label(ra, rb) + ": " + fmt::format("{}", fmt::join(details, ", ")));
  }

  std::size_t points() const { return points_; }

  std::string Text() const {
    std::string out;
    for (const auto& [change, n] : status_changes_)
      out += fmt::format("  status {}: {}\n", change, Points(n));
    for (const auto& [name, stats] : by_column_)
      out += stats.largest_at.empty()
                 ? fmt::format("  {}: {}\n", name, Points(stats.points))
                 : fmt::format("  {}: {}, largest {} ({})\n", name, Points(stats.points),
                               stats.largest_text, stats.largest_at);
    for (const auto& line : listed_) out += "  " + line + "\n";
    if (points_ > listed_.size())
      out += fmt::format("  ... and {} more (--limit N lists more)\n",
                         Points(points_ - listed_.size()));
    return out;
  }

  std::string Label(std::size_t ra, std::size_t rb) const {
    const std::uint64_t ia = a_.Index(ra), ib = b_.Index(rb);
    if (by_index_ || ia == ib) return fmt::format("point {}", ia);
    return fmt::format("point {} in A, {} in B", ia, ib);
  }

 private:
  struct ColumnStats {
    std::size_t points = 0;
    double largest = -1;
    std::string largest_at, largest_text;
  };
  bool Same(double x, double y) const {
    if (std::isnan(x) || std::isnan(y)) return std::isnan(x) && std::isnan(y);
    return x == y || std::fabs(y - x) <= options_.tolerance * std::max(std::fabs(x), std::fabs(y));
  }

  const PointsTable& a_;
  const PointsTable& b_;
  const DiffOptions& options_;
  bool by_index_;
  std::size_t points_ = 0;
  std::map<std::string, std::size_t> status_changes_;
  std::map<std::string, ColumnStats> by_column_;
  std::vector<std::string> listed_;
};

std::string OnlyIn(const char* which, const PointsTable& table,
                   const std::vector<std::size_t>& rows, std::size_t limit) {
  if (rows.empty()) return fmt::format("only in {}   no point\n", which);
  std::vector<std::uint64_t> indices;
  for (std::size_t r : rows) indices.push_back(table.Index(r));
  std::sort(indices.begin(), indices.end());
  const std::size_t shown = std::min(limit, indices.size());
  return fmt::format("only in {}   {}: {}{}\n", which, Points(rows.size()),
                     fmt::join(indices.begin(), indices.begin() + static_cast<long>(shown), ", "),
                     shown < indices.size() ? ", ..." : "");
}

}  // namespace

Expected<DiffReport> DiffArchives(const DiffOptions& options) {
  ASTRASWEEP_ASSIGN_OR_RETURN(PointsTable a, PointsTable::Load(options.a));
  ASTRASWEEP_ASSIGN_OR_RETURN(PointsTable b, PointsTable::Load(options.b));
  const Matching m = Match(a, b);
  std::vector<std::string> one_sided;
  const auto columns = ComparedColumns(a, b, m.by_index, one_sided);
  Differences differences(a, b, options, m.by_index);
  for (const auto& [ra, rb] : m.pairs) differences.Compare(ra, rb, columns);

  std::string out;
  for (const PointsTable* t : {&a, &b})
    out += fmt::format("{}           {}: {} (spec sha256 {})\n", t == &a ? "A" : "B", t->path(),
                       Points(t->rows()), t->spec_sha256().substr(0, 16));
  out += fmt::format("matched     {}: {} in both\n",
                     m.by_index ? "by index (the same spec)" : "by point id (different specs)",
                     Points(m.pairs.size()));
  if (m.unkeyed_a + m.unkeyed_b > 0)
    out += fmt::format(
        "unmatched   {} in A, {} in B have no id (their config could not be built): "
        "not compared\n",
        m.unkeyed_a, m.unkeyed_b);
  out += OnlyIn("A", a, m.only_a, options.limit) + OnlyIn("B", b, m.only_b, options.limit);
  if (!one_sided.empty())
    out += fmt::format("columns     not compared: {}\n", fmt::join(one_sided, ", "));
  out += fmt::format("differ      {}", Points(differences.points()));
  out += options.tolerance > 0 ? fmt::format(" (beyond {:g} relative)\n", options.tolerance) : "\n";
  out += differences.Text();
  const bool equal = m.only_a.empty() && m.only_b.empty() && differences.points() == 0;
  out += equal ? "equal: the points and their results are the same\n" : "different\n";
  return DiffReport{std::move(out), equal};
}

}  // namespace astrasweep::store
