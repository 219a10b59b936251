// Compiling a spec into slots and steps (names are bound in binder.cc), the
// odometer scan, and materialising a point index into a config tree.
#include "astrasweep/sweep/expander.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "astrasweep/base/strings.h"
#include "astrasweep/base/units.h"
#include "astrasweep/config/loader.h"
#include "astrasweep/config/schema.h"
#include "binder.h"

namespace astrasweep::sweep {
namespace {

// An axis value as the archive's column and the tables show it: a scalar
// as written; a section given inline by its name when it has one (a model
// `{name: gpt-7b, layers: ...}` is gpt-7b), else as flow YAML.
std::string ShownValue(const config::Node& v) {
  if (v.IsScalar()) return v.text();
  if (const config::Node* name = v.IsMap() ? v.Find("name") : nullptr; name && name->IsScalar())
    return name->text();
  return v.ToFlowText();
}

using config::Node;

}  // namespace

double Expander::Step::Evaluate(const double* slots) const {
  if (dependent != nullptr) return dependent->Apply(slots[source_slot]);
  return expression.Evaluate(slots);
}

Expected<Expander> Expander::Create(SweepSpec spec, config::PresetLibrary presets) {
  Expander expander(std::move(spec), std::move(presets));
  ASTRASWEEP_RETURN_IF_ERROR(expander.Compile());
  return expander;
}

Status Expander::Compile() {
  ASTRASWEEP_RETURN_IF_ERROR(ComputeStrides());
  axis_bindings_.assign(spec_.axes.size(), {});
  derive_slots_.assign(spec_.derives.size(), -1);
  derive_types_.assign(spec_.derives.size(), ValueType::kNumber);
  Binder binder(*this);
  ASTRASWEEP_RETURN_IF_ERROR(CompileDerives(binder));
  ASTRASWEEP_RETURN_IF_ERROR(CompileConstraints(binder));
  OrderSteps();
  return Ok();
}

Status Expander::ComputeStrides() {
  const std::size_t n = spec_.axes.size();
  strides_.assign(n, 1);
  total_ = 1;
  for (std::size_t a = n; a-- > 0;) {
    strides_[a] = total_;
    const std::uint64_t size = spec_.axes[a].size();
    if (total_ > kMaxSweepPoints / size)
      return InvalidInput("the sweep has more than 2^62 points",
                          {.file = spec_.file, .key_path = spec_.axes[a].where});
    total_ *= size;
  }
  return Ok();
}

Status Expander::CompileDerives(Binder& binder) {
  for (std::size_t i = 0; i < spec_.derives.size(); ++i) {
    const Derive& d = spec_.derives[i];
    binder.set_current_derive(i);
    auto expression = Expression::Compile(d.expression, binder.AsResolver(), strings_);
    if (!expression)
      return std::unexpected(Error(expression.error().code(), expression.error().message(),
                                   d.node.Context("derive." + d.key)));
    const int level = binder.LevelOf(*expression);
    derive_slots_[i] = binder.NewSlot(0, level);
    derive_types_[i] = expression->type();
    steps_.push_back(Step{.expression = std::move(*expression),
                          .level = level,
                          .out_slot = derive_slots_[i],
                          .derive = static_cast<int>(i)});
  }
  binder.set_current_derive(spec_.derives.size());
  return Ok();
}

Status Expander::CompileConstraints(Binder& binder) {
  for (std::size_t i = 0; i < spec_.constraints.size(); ++i) {
    const Constraint& c = spec_.constraints[i];
    auto expression = Expression::Compile(c.expression, binder.AsResolver(), strings_);
    if (!expression)
      return std::unexpected(Error(expression.error().code(), expression.error().message(),
                                   c.node.Context("constraints." + std::to_string(i))));
    if (expression->type() != ValueType::kNumber)
      return InvalidInput("a constraint must be true or false, not a string",
                          c.node.Context("constraints." + std::to_string(i)));
    const int level = binder.LevelOf(*expression);
    steps_.push_back(Step{
        .expression = std::move(*expression), .level = level, .constraint = static_cast<int>(i)});
  }
  return Ok();
}

// Dependencies never have a higher level than their users, and come first
// among equals, so a stable sort keeps every step after its inputs.
void Expander::OrderSteps() {
  std::stable_sort(steps_.begin(), steps_.end(),
                   [](const Step& x, const Step& y) { return x.level < y.level; });
  const std::size_t n = spec_.axes.size();
  first_step_.assign(n + 1, steps_.size());
  for (std::size_t a = 0; a <= n; ++a) {
    for (std::size_t s = 0; s < steps_.size(); ++s) {
      if (steps_[s].level >= static_cast<int>(a)) {
        first_step_[a] = s;
        break;
      }
    }
  }
}

std::vector<std::string> Expander::SweptKeys() const {
  std::vector<std::string> keys;
  for (const auto& axis : spec_.axes)
    for (const auto& key : axis.keys) keys.push_back(key);
  for (const auto& d : spec_.derives) keys.push_back(d.key);
  return keys;
}

std::vector<std::size_t> Expander::Decode(std::uint64_t index) const {
  std::vector<std::size_t> positions(spec_.axes.size());
  for (std::size_t a = 0; a < positions.size(); ++a) {
    positions[a] = static_cast<std::size_t>(index / strides_[a]);
    index %= strides_[a];
  }
  return positions;
}

std::uint64_t Expander::Encode(std::span<const std::size_t> positions) const {
  std::uint64_t index = 0;
  for (std::size_t a = 0; a < positions.size(); ++a) index += positions[a] * strides_[a];
  return index;
}

void Expander::SetAxis(std::vector<double>& slots, std::size_t axis, std::size_t position) const {
  for (const auto& binding : axis_bindings_[axis])
    slots[static_cast<std::size_t>(binding.slot)] = binding.values[position];
}

std::optional<std::size_t> Expander::RunSteps(std::vector<double>& slots, std::size_t first) const {
  for (std::size_t s = first; s < steps_.size(); ++s) {
    const Step& step = steps_[s];
    const double v = step.Evaluate(slots.data());
    if (step.out_slot >= 0)
      slots[static_cast<std::size_t>(step.out_slot)] = v;
    else if (!Truthy(v))
      return s;
  }
  return std::nullopt;
}

template <typename Visit>
CountResult Expander::Scan(std::uint64_t begin, std::uint64_t end, Visit&& visit) const {
  CountResult result;
  result.skipped_by.assign(spec_.constraints.size(), 0);
  end = std::min(end, total_);
  if (begin >= end) return result;
  result.total = end - begin;
  const std::size_t n = spec_.axes.size();
  std::vector<std::size_t> positions = Decode(begin);
  std::vector<double> slots = initial_slots_;
  for (std::size_t a = 0; a < n; ++a) SetAxis(slots, a, positions[a]);
  std::size_t first = 0;
  std::uint64_t index = begin;
  while (index < end) {
    std::uint64_t next = index + 1;
    int changed = static_cast<int>(n) - 1;
    if (auto failed = RunSteps(slots, first)) {
      // Every point sharing the failing step's outer axes fails too.
      const Step& step = steps_[*failed];
      const std::uint64_t stride =
          step.level >= 0 ? strides_[static_cast<std::size_t>(step.level)] : total_;
      next = (index / stride + 1) * stride;
      const std::uint64_t skipped = std::min(next, end) - index;
      result.skipped += skipped;
      result.skipped_by[static_cast<std::size_t>(step.constraint)] += skipped;
      changed = step.level;
    } else {
      ++result.valid;
      if (!visit(index)) break;
    }
    index = next;
    if (index >= end || changed < 0) break;
    // Odometer: bump the changed axis, reset the inner ones, carry outward.
    std::size_t a = static_cast<std::size_t>(changed);
    for (std::size_t b = a + 1; b < n; ++b) positions[b] = 0;
    while (++positions[a] == spec_.axes[a].size()) {
      positions[a] = 0;
      --a;
    }
    for (std::size_t b = a; b < n; ++b) SetAxis(slots, b, positions[b]);
    first = first_step_[a];
  }
  return result;
}

CountResult Expander::Count(std::uint64_t begin, std::uint64_t end) const {
  return Scan(begin, end, [](std::uint64_t) { return true; });
}

void Expander::ForEachValid(std::uint64_t begin, std::uint64_t end,
                            const std::function<bool(std::uint64_t)>& visit) const {
  Scan(begin, end, visit);
}

std::optional<std::uint64_t> Expander::NextValid(std::uint64_t from) const {
  std::optional<std::uint64_t> found;
  Scan(from, total_, [&](std::uint64_t index) {
    found = index;
    return false;
  });
  return found;
}

std::optional<std::size_t> Expander::FailedConstraint(std::uint64_t index) const {
  std::vector<double> slots = initial_slots_;
  auto positions = Decode(index);
  for (std::size_t a = 0; a < positions.size(); ++a) SetAxis(slots, a, positions[a]);
  auto failed = RunSteps(slots, 0);
  if (!failed) return std::nullopt;
  return static_cast<std::size_t>(steps_[*failed].constraint);
}

Expected<std::string> Expander::DeriveText(std::size_t i, const std::vector<double>& slots) const {
  const Derive& d = spec_.derives[i];
  const double v = slots[static_cast<std::size_t>(derive_slots_[i])];
  const config::FieldSpec* field = config::FindField(d.key);
  if (derive_types_[i] == ValueType::kString) return strings_.Text(v);
  if (!std::isfinite(v))
    return InvalidInput(
        "'" + d.expression + "' is not a finite number here (" + FormatNumber(v) + ")",
        d.node.Context("derive." + d.key));
  if (field->type == config::FieldType::kQuantity) return FormatQuantity(v, field->quantity);
  if (field->type == config::FieldType::kBool) return std::string(Truthy(v) ? "true" : "false");
  return FormatNumber(v);
}

std::vector<SweptKey> Expander::SweptKeyInfo() const {
  std::vector<SweptKey> keys;
  for (const auto& axis : spec_.axes) {
    for (std::size_t k = 0; k < axis.keys.size(); ++k) {
      SweptKey key{.key = axis.keys[k], .kind = SweptKey::Kind::kInteger, .max_length = 0};
      bool numbers = true, integers = true;
      for (const auto& values : axis.values) {
        const Node& v = values[k];
        const std::string text = ShownValue(v);
        key.max_length = std::max(key.max_length, text.size());
        const auto number = v.IsScalar() ? ParseDouble(text) : std::nullopt;
        numbers = numbers && number.has_value();
        integers =
            integers && number && std::floor(*number) == *number && std::fabs(*number) < 9e15;
      }
      key.kind = !numbers   ? SweptKey::Kind::kText
                 : integers ? SweptKey::Kind::kInteger
                            : SweptKey::Kind::kNumber;
      keys.push_back(std::move(key));
    }
  }
  for (std::size_t i = 0; i < spec_.derives.size(); ++i) {
    const config::FieldSpec* field = config::FindField(spec_.derives[i].key);
    SweptKey key{.key = spec_.derives[i].key, .kind = SweptKey::Kind::kText, .max_length = 64};
    if (derive_types_[i] == ValueType::kNumber && field) {
      if (field->type == config::FieldType::kInt || field->type == config::FieldType::kNpus)
        key.kind = SweptKey::Kind::kInteger;
      else if (field->type == config::FieldType::kNumber)
        key.kind = SweptKey::Kind::kNumber;
    }
    keys.push_back(std::move(key));
  }
  return keys;
}

std::vector<std::string> Expander::SweptText(std::uint64_t index) const {
  std::vector<std::string> out;
  if (index >= total_) return out;
  const auto positions = Decode(index);
  std::vector<double> slots = initial_slots_;
  for (std::size_t a = 0; a < positions.size(); ++a) SetAxis(slots, a, positions[a]);
  RunSteps(slots, 0);
  for (std::size_t a = 0; a < spec_.axes.size(); ++a) {
    const Axis& axis = spec_.axes[a];
    for (std::size_t k = 0; k < axis.keys.size(); ++k) {
      const Node& v = axis.values[positions[a]][k];
      out.push_back(ShownValue(v));
    }
  }
  for (std::size_t i = 0; i < spec_.derives.size(); ++i) {
    auto text = DeriveText(i, slots);
    out.push_back(text ? *text : std::string());
  }
  return out;
}

Expected<Node> Expander::BuildTree(std::span<const std::size_t> positions,
                                   const std::vector<double>& slots) const {
  Node tree = spec_.base;
  for (std::size_t a = 0; a < spec_.axes.size(); ++a) {
    const Axis& axis = spec_.axes[a];
    for (std::size_t k = 0; k < axis.keys.size(); ++k) {
      if (spec_.IsVar(axis.keys[k])) continue;  // a swept var lives only in expressions
      auto status =
          config::SetPath(tree, config::SplitKeyPath(axis.keys[k]), axis.values[positions[a]][k]);
      if (!status) return std::unexpected(std::move(status).error().WithKeyPath(axis.where));
      if (config::PresetLibrary::InPresetSection(axis.keys[k]))
        ASTRASWEEP_RETURN_IF_ERROR(presets_.Expand(tree));
    }
  }
  for (std::size_t i = 0; i < spec_.derives.size(); ++i) {
    const Derive& d = spec_.derives[i];
    ASTRASWEEP_ASSIGN_OR_RETURN(std::string text, DeriveText(i, slots));
    Node value = Node::Scalar(text);
    value.SetMark(std::make_shared<const std::string>(d.node.file()), d.node.line(),
                  d.node.column());
    ASTRASWEEP_RETURN_IF_ERROR(
        config::SetPath(tree, config::SplitKeyPath(d.key), std::move(value)));
  }
  return tree;
}

std::vector<SweptValue> Expander::SweptValues(std::span<const std::size_t> positions,
                                              const Node& tree) const {
  std::vector<SweptValue> swept;
  for (std::size_t a = 0; a < spec_.axes.size(); ++a) {
    const Axis& axis = spec_.axes[a];
    for (std::size_t k = 0; k < axis.keys.size(); ++k) {
      const Node& v = axis.values[positions[a]][k];
      std::string text = ShownValue(v);
      const bool number = v.IsScalar() && ParseDouble(text).has_value();
      swept.push_back({axis.keys[k], std::move(text), number});
    }
  }
  for (std::size_t i = 0; i < spec_.derives.size(); ++i) {
    const std::string& key = spec_.derives[i].key;
    const Node* v = config::FindPath(tree, config::SplitKeyPath(key));
    swept.push_back({key, v->text(),
                     derive_types_[i] == ValueType::kNumber && ParseDouble(v->text()).has_value()});
  }
  return swept;
}

Expected<Node> Expander::TreeAt(std::uint64_t index, std::vector<std::size_t>& positions) const {
  if (index >= total_) {
    return InvalidInput("point index " + std::to_string(index) +
                            " is out of range; the sweep has " + std::to_string(total_) + " points",
                        {.file = spec_.file});
  }
  positions = Decode(index);
  std::vector<double> slots = initial_slots_;
  for (std::size_t a = 0; a < positions.size(); ++a) SetAxis(slots, a, positions[a]);
  if (auto failed = RunSteps(slots, 0)) {
    const int c = steps_[*failed].constraint;
    return InvalidInput("skipped by constraint " + std::to_string(c) + " ('" +
                            spec_.constraints[static_cast<std::size_t>(c)].expression + "')",
                        {.file = spec_.file, .key_path = {}, .point_index = index});
  }
  auto tree = BuildTree(positions, slots);
  if (!tree)
    return std::unexpected(std::move(tree).error().WithPointIndex(index).WithFile(spec_.file));
  return tree;
}

Expected<Node> Expander::Tree(std::uint64_t index) const {
  std::vector<std::size_t> positions;
  return TreeAt(index, positions);
}

Expected<ExpandedPoint> Expander::Materialize(std::uint64_t index) const {
  std::vector<std::size_t> positions;
  ASTRASWEEP_ASSIGN_OR_RETURN(Node tree, TreeAt(index, positions));
  // Read before the tree goes to BuildPoint, which expands its presets in place.
  std::vector<SweptValue> swept = SweptValues(positions, tree);
  auto point = config::BuildPoint(std::move(tree), presets_);
  if (!point)
    return std::unexpected(std::move(point).error().WithPointIndex(index).WithFile(spec_.file));
  ExpandedPoint out{.index = index, .swept = std::move(swept), .point = std::move(*point)};
  return out;
}

Expected<Expander> OpenSweep(const std::string& path) { return OpenSweep(path, DiskSource(path)); }

Expected<Expander> OpenSweep(const std::string& path, const SpecSource& source) {
  ASTRASWEEP_ASSIGN_OR_RETURN(SweepSpec spec, LoadSweepSpec(path, source));
  auto expander = Expander::Create(std::move(spec), source.presets);
  if (!expander) return std::unexpected(std::move(expander).error().WithFile(path));
  return expander;
}

}  // namespace astrasweep::sweep
