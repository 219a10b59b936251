// The config tree, its YAML parsing (yaml-cpp) and path editing.
#include "astrasweep/config/node.h"

#include <yaml-cpp/yaml.h>

#include <array>
#include <cctype>
#include <charconv>
#include <unordered_map>

#include "astrasweep/base/strings.h"

namespace astrasweep::config {
namespace {

const std::string& EmptyString() {
  static const std::string empty;
  return empty;
}

// A YAML text is a tree only as it is written: anchors and aliases make a
// graph, which may be a cycle (`a: &a [*a]`) or grow tenfold per line. The
// tree is built within these bounds, far above any config.
constexpr int kMaxYamlDepth = 64;
constexpr std::size_t kMaxYamlNodes = 1'000'000;

// Thrown out of Convert at a bound or a repeated key, caught by ParseYaml.
struct Refused {
  std::string what;
  YAML::Mark mark;
};

Node Convert(const YAML::Node& yaml, const std::shared_ptr<const std::string>& file, int depth,
             std::size_t& nodes) {
  if (depth > kMaxYamlDepth)
    throw Refused{"nested more than " + std::to_string(kMaxYamlDepth) +
                      " levels deep (an alias inside its own anchor?)",
                  yaml.Mark()};
  if (++nodes > kMaxYamlNodes)
    throw Refused{
        "more than " + std::to_string(kMaxYamlNodes) + " values once its aliases are expanded",
        yaml.Mark()};
  Node out;
  switch (yaml.Type()) {
    case YAML::NodeType::Scalar: out = Node::Scalar(yaml.Scalar()); break;
    case YAML::NodeType::Sequence:
      out = Node::List();
      for (const auto& item : yaml) out.items().push_back(Convert(item, file, depth + 1, nodes));
      break;
    case YAML::NodeType::Map:
      out = Node::Map();
      for (std::unordered_map<std::string, int> lines; const auto& kv : yaml) {
        // YAML wants each key once; the config would otherwise read the
        // first and ignore the rest (or not, depending on the reader).
        const auto [first, added] = lines.emplace(kv.first.Scalar(), kv.first.Mark().line + 1);
        if (!added)
          throw Refused{"has the key '" + first->first + "' twice in one mapping (first at line " +
                            std::to_string(first->second) + "); give each key once",
                        kv.first.Mark()};
        out.entries().emplace_back(kv.first.Scalar(), Convert(kv.second, file, depth + 1, nodes));
      }
      break;
    default: break;  // Null and Undefined stay null
  }
  const YAML::Mark mark = yaml.Mark();
  out.SetMark(file, mark.line + 1, mark.column + 1);
  return out;
}

bool IsIndex(std::string_view s, std::size_t* index) {
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *index);
  return ec == std::errc() && end == s.data() + s.size();
}

bool NeedsQuotes(std::string_view s) {
  // Quote only what YAML would misread; "3e+11 B/s" and "a100-80gb" stay plain.
  static constexpr auto kSpecial = [] {
    std::array<bool, 256> special{};
    for (const char c : std::string_view("#{}[],&*!|>'\"%@`?"))
      special[static_cast<unsigned char>(c)] = true;
    return special;
  }();
  if (s.empty() || s.front() == ' ' || s.back() == ' ' || s.back() == ':') return true;
  for (const char c : s)
    if (kSpecial[static_cast<unsigned char>(c)]) return true;
  return s.find(": ") != std::string::npos || s.starts_with("- ");
}

std::string Quoted(const std::string& s) {
  if (!NeedsQuotes(s)) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// Quoted(s) appended to `out`.
void AppendQuoted(std::string_view s, std::string& out) {
  if (!NeedsQuotes(s)) {
    out += s;
    return;
  }
  out += Quoted(std::string(s));
}

void Emit(const Node& node, int indent, std::string* out) {
  const std::string pad(static_cast<std::size_t>(indent), ' ');
  if (node.IsMap()) {
    for (const auto& [key, value] : node.entries()) {
      *out += pad + Quoted(key) + ":";
      if (value.IsScalar()) {
        *out += " " + Quoted(value.text()) + "\n";
      } else if (value.IsNull() || (value.IsMap() && value.entries().empty()) ||
                 (value.IsList() && value.items().empty())) {
        *out += value.IsList() ? " []\n" : value.IsMap() ? " {}\n" : " null\n";
      } else {
        *out += "\n";
        Emit(value, indent + 2, out);
      }
    }
  } else if (node.IsList()) {
    for (const auto& item : node.items()) {
      if (item.IsScalar()) {
        *out += pad + "- " + Quoted(item.text()) + "\n";
      } else if (item.IsMap() && !item.entries().empty()) {
        std::string inner;
        Emit(item, indent + 2, &inner);
        inner.replace(static_cast<std::size_t>(indent), 2, "- ");
        *out += inner;
      } else {
        *out += pad + "- " + item.ToFlowText() + "\n";
      }
    }
  } else if (node.IsScalar()) {
    *out += pad + Quoted(node.text()) + "\n";
  }
}

}  // namespace

Node Node::Scalar(std::string text) {
  Node n;
  n.kind_ = Kind::kScalar;
  n.text_ = std::move(text);
  return n;
}
Node Node::List() {
  Node n;
  n.kind_ = Kind::kList;
  return n;
}
Node Node::Map() {
  Node n;
  n.kind_ = Kind::kMap;
  return n;
}

const Node* Node::Find(std::string_view key) const {
  for (const auto& [k, v] : entries_)
    if (k == key) return &v;
  return nullptr;
}
Node* Node::Find(std::string_view key) {
  for (auto& [k, v] : entries_)
    if (k == key) return &v;
  return nullptr;
}
void Node::Set(std::string key, Node value) {
  if (Node* existing = Find(key)) {
    *existing = std::move(value);
    return;
  }
  entries_.emplace_back(std::move(key), std::move(value));
}
bool Node::Erase(std::string_view key) {
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->first == key) {
      entries_.erase(it);
      return true;
    }
  }
  return false;
}

const std::string& Node::file() const { return file_ ? *file_ : EmptyString(); }

void Node::SetMark(std::shared_ptr<const std::string> file, int line, int column) {
  file_ = std::move(file);
  line_ = line;
  column_ = column;
}

ErrorContext Node::Context(std::string key_path) const {
  return ErrorContext{
      .file = file(),
      // A key of a file that is not YAML config at all
      // (a stray file read as YAML) is quoted short.
      .key_path = key_path.size() > 96 ? Excerpt(key_path, 96) : std::move(key_path),
      .point_index = {},
      .line = line_,
      .column = column_};
}

const char* Node::KindName() const {
  switch (kind_) {
    case Kind::kNull: return "null";
    case Kind::kScalar: return "scalar";
    case Kind::kList: return "list";
    case Kind::kMap: return "mapping";
  }
  return "?";
}

std::string Node::ToFlowText() const {
  switch (kind_) {
    case Kind::kNull: return "null";
    case Kind::kScalar: return Quoted(text_);
    case Kind::kList: {
      std::string out = "[";
      for (std::size_t i = 0; i < items_.size(); ++i)
        out += (i ? ", " : "") + items_[i].ToFlowText();
      return out + "]";
    }
    case Kind::kMap: {
      std::string out = "{";
      for (std::size_t i = 0; i < entries_.size(); ++i)
        out += (i ? ", " : "") + Quoted(entries_[i].first) + ": " + entries_[i].second.ToFlowText();
      return out + "}";
    }
  }
  return "";
}

Expected<Node> ParseYaml(std::string_view text, const std::string& file_name) {
  auto file = std::make_shared<const std::string>(file_name);
  try {
    YAML::Node root = YAML::Load(std::string(text));
    std::size_t nodes = 0;
    return Convert(root, file, 0, nodes);
  } catch (const Refused& e) {
    return InvalidInput("the YAML is " + e.what, {.file = file_name,
                                                  .key_path = {},
                                                  .point_index = {},
                                                  .line = e.mark.line + 1,
                                                  .column = e.mark.column + 1});
  } catch (const YAML::Exception& e) {
    return InvalidInput("YAML syntax error: " + e.msg, {.file = file_name,
                                                        .key_path = {},
                                                        .point_index = {},
                                                        .line = e.mark.line + 1,
                                                        .column = e.mark.column + 1});
  }
}

Expected<Node> LoadYamlFile(const std::string& path) {
  ASTRASWEEP_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  return ParseYaml(text, path);
}

std::vector<std::string> SplitKeyPath(std::string_view path) { return Split(path, '.'); }

const Node* FindPath(const Node& root, std::span<const std::string> path) {
  const Node* node = &root;
  for (const auto& part : path) {
    std::size_t index = 0;
    if (node->IsMap()) {
      node = node->Find(part);
    } else if (node->IsList() && IsIndex(part, &index) && index < node->items().size()) {
      node = &node->items()[index];
    } else {
      return nullptr;
    }
    if (node == nullptr) return nullptr;
  }
  return node;
}

Status SetPath(Node& root, std::span<const std::string> path, Node value) {
  Node* node = &root;
  for (std::size_t i = 0; i < path.size(); ++i) {
    const std::string& part = path[i];
    const bool last = i + 1 == path.size();
    const auto so_far = [&] { return Join(path.first(i + 1), "."); };  // for messages
    if (node->IsNull()) *node = Node::Map();
    if (node->IsMap()) {
      Node* child = node->Find(part);
      if (child == nullptr) {
        node->Set(part, last ? Node() : Node::Map());
        child = node->Find(part);
      }
      node = child;
    } else if (node->IsList()) {
      std::size_t index = 0;
      if (!IsIndex(part, &index)) {
        return InvalidInput(
            "'" + part + "' is not a list index; " + Join(path.first(i), ".") + " is a list",
            {.file = {}, .key_path = so_far()});
      }
      if (index >= node->items().size()) {
        return InvalidInput("index " + part + " is out of range: the list has " +
                                std::to_string(node->items().size()) + " items",
                            {.file = {}, .key_path = so_far()});
      }
      node = &node->items()[index];
    } else {
      return InvalidInput("cannot set a key inside a " + std::string(node->KindName()) + " ('" +
                              node->text() + "')",
                          {.file = {}, .key_path = Join(path.first(i), ".")});
    }
  }
  // Keep the position of the value, which is where the user wrote it.
  *node = std::move(value);
  return Ok();
}

Node TreeOfPaths(const std::map<std::string, std::string>& leaves) {
  Node root = Node::Map();
  for (const auto& [path, value] : leaves) {
    auto parts = SplitKeyPath(path);
    Node* node = &root;
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
      const bool next_is_index = std::isdigit(static_cast<unsigned char>(parts[i + 1][0]));
      if (node->IsList()) {
        std::size_t index = std::stoul(parts[i]);
        while (node->items().size() <= index) node->items().push_back(Node::Map());
        node = &node->items()[index];
        continue;
      }
      Node* child = node->Find(parts[i]);
      if (child == nullptr) {
        node->Set(parts[i], next_is_index ? Node::List() : Node::Map());
        child = node->Find(parts[i]);
      }
      node = child;
    }
    node->Set(parts.back(), Node::Scalar(value));
  }
  return root;
}

// Walks the sorted paths once, printing each new section's line and each
// leaf's: sorted paths keep every section's paths together, in the order
// the tree would have its keys. Lists of ten or more items (whose indices
// do not sort by number), and anything but lists of mappings, are left to
// the tree.
std::optional<std::string> EmitSortedPaths(const std::map<std::string, std::string>& leaves) {
  std::string out;
  std::vector<std::string_view> prev, parts;
  const auto is_index = [](std::string_view part) {
    return !part.empty() && std::isdigit(static_cast<unsigned char>(part[0]));
  };
  for (const auto& [path, value] : leaves) {
    parts.clear();
    for (std::size_t start = 0;;) {
      const std::size_t dot = path.find('.', start);
      parts.push_back(std::string_view(path).substr(start, dot - start));
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    std::size_t common = 0;
    while (common < parts.size() && common < prev.size() && parts[common] == prev[common]) ++common;
    if (common == parts.size() || (!prev.empty() && common == prev.size()))
      return std::nullopt;            // a leaf where a section is, or one inside a leaf
    std::optional<std::size_t> dash;  // where the line of a list's new item starts
    for (std::size_t i = common; i < parts.size(); ++i) {
      const std::string_view part = parts[i];
      if (i < prev.size() && i == common && is_index(part) != is_index(prev[i]))
        return std::nullopt;
      if (is_index(part)) {
        const char expected = i == common && i < prev.size() ? prev[i][0] + 1 : '0';
        if (part.size() != 1 || part[0] != expected || i == 0 || i + 1 == parts.size() ||
            is_index(parts[i - 1]) || is_index(parts[i + 1]))
          return std::nullopt;
        dash = out.size() + 2 * i;
        continue;
      }
      out.append(2 * i, ' ');
      AppendQuoted(part, out);
      out += ':';
      if (i + 1 == parts.size()) {
        out += ' ';
        AppendQuoted(value, out);
      }
      out += '\n';
      if (dash) out.replace(*dash, 2, "- ");
      dash.reset();
    }
    prev.swap(parts);
  }
  return out;
}

std::string EmitYaml(const Node& node) {
  std::string out;
  Emit(node, 0, &out);
  return out;
}

}  // namespace astrasweep::config
