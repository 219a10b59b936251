// Aligned text columns.
#include "text_table.h"

#include <fmt/format.h>

#include <algorithm>

namespace astrasweep::store {

TextTable::TextTable(std::vector<std::string> header)
    : header_(std::move(header)), align_(header_.size(), Align::kRight) {}

void TextTable::SetAlign(std::size_t column, Align align) {
  if (column < align_.size()) align_[column] = align;
}

void TextTable::Add(std::vector<std::string> cells) {
  cells.resize(std::min(cells.size(), header_.size()));
  rows_.push_back(std::move(cells));
}

std::string TextTable::Text() const {
  std::vector<std::size_t> width(header_.size());
  for (std::size_t c = 0; c < header_.size(); ++c) width[c] = header_[c].size();
  for (const auto& row : rows_) {
    // A short row's last cell is its note: it widens nothing.
    const std::size_t aligned =
        row.size() < header_.size() ? std::max<std::size_t>(row.size(), 1) - 1 : header_.size();
    for (std::size_t c = 0; c < aligned; ++c) width[c] = std::max(width[c], row[c].size());
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string text;
    for (std::size_t c = 0; c < cells.size(); ++c) {
      const bool note = cells.size() < header_.size() && c + 1 == cells.size();
      const bool last = c + 1 == header_.size();
      if (c > 0) text += "  ";
      if (note || (last && align_[c] == Align::kLeft))
        text += cells[c];
      else if (align_[c] == Align::kLeft)
        text += fmt::format("{:<{}}", cells[c], width[c]);
      else
        text += fmt::format("{:>{}}", cells[c], width[c]);
    }
    return text + "\n";
  };
  std::string out = line(header_);
  for (const auto& row : rows_) out += line(row);
  return out;
}

}  // namespace astrasweep::store
