// A YAML document as a plain tree: scalars, lists and ordered maps, each
// node remembering where it came from (file, line, column) so errors can
// point at it. yaml-cpp stays behind ParseYaml; the sweep module edits these
// trees by key path ("network.1.bandwidth").
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "astrasweep/base/error.h"

namespace astrasweep::config {

class Node {
 public:
  enum class Kind { kNull, kScalar, kList, kMap };

  Node() = default;
  static Node Scalar(std::string text);
  static Node List();
  static Node Map();

  Kind kind() const { return kind_; }
  bool IsNull() const { return kind_ == Kind::kNull; }
  bool IsScalar() const { return kind_ == Kind::kScalar; }
  bool IsList() const { return kind_ == Kind::kList; }
  bool IsMap() const { return kind_ == Kind::kMap; }

  const std::string& text() const { return text_; }  // scalars only
  std::vector<Node>& items() { return items_; }      // lists only
  const std::vector<Node>& items() const { return items_; }
  std::vector<std::pair<std::string, Node>>& entries() { return entries_; }  // maps only
  const std::vector<std::pair<std::string, Node>>& entries() const { return entries_; }

  const Node* Find(std::string_view key) const;  // maps only; null if absent
  Node* Find(std::string_view key);
  void Set(std::string key, Node value);  // maps only; replaces or appends
  bool Erase(std::string_view key);

  // Source position, for messages.
  const std::string& file() const;
  int line() const { return line_; }
  int column() const { return column_; }
  void SetMark(std::shared_ptr<const std::string> file, int line, int column);
  ErrorContext Context(std::string key_path = {}) const;

  // "scalar", "list", "mapping" or "null".
  const char* KindName() const;
  // Flow-style text for messages and JSON rows: "[a, {b: 1}]".
  std::string ToFlowText() const;

 private:
  Kind kind_ = Kind::kNull;
  std::string text_;
  std::vector<Node> items_;
  std::vector<std::pair<std::string, Node>> entries_;
  std::shared_ptr<const std::string> file_;
  int line_ = 0;
  int column_ = 0;
};

// Parses YAML text; a syntax error names the file, line and column.
Expected<Node> ParseYaml(std::string_view text, const std::string& file_name);
Expected<Node> LoadYamlFile(const std::string& path);

// Dotted key paths; list items by number.
std::vector<std::string> SplitKeyPath(std::string_view path);
const Node* FindPath(const Node& root, std::span<const std::string> path);
// Sets the value at a path, creating maps on the way. A list index must
// name an existing item. The error names the path.
Status SetPath(Node& root, std::span<const std::string> path, Node value);

// Block-style YAML; map keys in their stored order.
std::string EmitYaml(const Node& node);

// The tree of `leaves` (dotted paths to scalar values): a part is a list
// index where the first path through its parent had a digit there.
Node TreeOfPaths(const std::map<std::string, std::string>& leaves);

// What EmitYaml prints for TreeOfPaths(leaves), without building the tree; nullopt for
// trees it does not print this way (lists of ten or more items, of
// anything but mappings).
std::optional<std::string> EmitSortedPaths(const std::map<std::string, std::string>& leaves);

}  // namespace astrasweep::config
