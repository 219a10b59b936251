// The sweep an archive was made from: its files from /sources (schema 2) or
// from the `spec` attribute (schema 1: "# ---- <path>" before each file's
// text, and a newline after it), checked against spec_sha256.
#include <filesystem>
#include <map>

#include "astrasweep/base/hash.h"
#include "astrasweep/store/archive_reader.h"
#include "stored_columns.h"

namespace astrasweep::store {
namespace {

constexpr std::string_view kHeader = "# ---- ";

// The files of a schema-1 `spec` attribute.
Expected<std::vector<SourceFile>> SplitSpecText(const std::string& text, const std::string& path) {
  std::vector<SourceFile> files;
  std::size_t at = 0;
  while (at < text.size()) {
    if (text.compare(at, kHeader.size(), kHeader) != 0) break;
    const std::size_t line_end = text.find('\n', at);
    if (line_end == std::string::npos) break;
    const std::size_t next = text.find("\n" + std::string(kHeader), line_end);
    const std::size_t end = next == std::string::npos ? text.size() - 1 : next;
    if (end < line_end + 1) break;
    const std::string name = text.substr(at + kHeader.size(), line_end - at - kHeader.size());
    files.push_back({.kind = files.empty() ? SourceFile::Kind::kSpec : SourceFile::Kind::kInclude,
                     .name = name,
                     .path = name,
                     .text = text.substr(line_end + 1, end - line_end - 1)});
    at = end + 1;
  }
  if (files.empty() || at != text.size())
    return MakeError(ErrorCode::kInvalidInput,
                     "the archive's spec attribute is not the spec's files, each after a '# ---- "
                     "<path>' line (damaged?)",
                     {.file = path});
  return files;
}

// The files of /sources, in the order of their first part.
Expected<std::vector<SourceFile>> ReadSources(const File& file) {
  ASTRASWEEP_ASSIGN_OR_RETURN(Table table, Table::Open(file, "sources"));
  ColumnSet set;
  std::map<std::string, StoredCol> columns;
  for (const Column& column : table.columns()) columns.emplace(column.name, AddStored(set, column));
  for (const char* name : {"kind", "name", "path", "part", "text"})
    if (!columns.contains(name))
      return MakeError(ErrorCode::kInvalidInput,
                       std::string("/sources has no column '") + name + "' (damaged?)",
                       {.file = file.path()});
  RowBuffer rows(set);
  ASTRASWEEP_RETURN_IF_ERROR(table.Read(0, table.rows(), rows));
  std::vector<SourceFile> files;
  std::map<std::pair<std::string, std::string>, std::size_t> position;
  auto text = [&](std::size_t r, const char* column) {
    return rows.Text(r, StoredIndex(columns.at(column)));
  };
  for (std::size_t r = 0; r < rows.rows(); ++r) {
    const std::string kind = text(r, "kind");
    const auto key = std::pair(kind, text(r, "name"));
    auto [it, added] = position.emplace(key, files.size());
    if (added) {
      SourceFile::Kind parsed = kind == "preset"    ? SourceFile::Kind::kPreset
                                : kind == "include" ? SourceFile::Kind::kInclude
                                                    : SourceFile::Kind::kSpec;
      files.push_back({.kind = parsed, .name = key.second, .path = text(r, "path"), .text = {}});
    }
    // Parts are written in order, one file after another.
    files[it->second].text += text(r, "text");
  }
  return files;
}

std::string SpecText(const std::vector<SourceFile>& files) {
  std::string text;
  for (const SourceFile& file : files)
    text += std::string(kHeader) + file.name + "\n" + file.text + "\n";
  return text;
}

}  // namespace

Expected<ArchivedSweep> ReadArchivedSweep(const std::string& path) {
  ASTRASWEEP_ASSIGN_OR_RETURN(File file, OpenArchiveToRead(path));
  return ReadArchivedSweep(file);
}

Expected<ArchivedSweep> ReadArchivedSweep(const File& file) {
  const std::string& path = file.path();
  ArchivedSweep sweep;
  sweep.spec_file = AttributeText(file, "spec_file");
  sweep.spec_sha256 = AttributeText(file, "spec_sha256");
  sweep.shard = AttributeText(file, "shard");
  if (file.HasObject("/sources")) {
    ASTRASWEEP_ASSIGN_OR_RETURN(std::vector<SourceFile> sources, ReadSources(file));
    sweep.presets.emplace();
    for (SourceFile& source : sources) {
      if (source.kind == SourceFile::Kind::kPreset)
        sweep.presets->push_back(
            {std::move(source.name), std::move(source.path), std::move(source.text)});
      else
        sweep.files.push_back(std::move(source));
    }
  } else {
    ASTRASWEEP_ASSIGN_OR_RETURN(std::string spec, file.StringAttribute("spec"));
    ASTRASWEEP_ASSIGN_OR_RETURN(sweep.files, SplitSpecText(spec, path));
  }
  if (sweep.files.empty() || sweep.files.front().kind != SourceFile::Kind::kSpec)
    return MakeError(ErrorCode::kInvalidInput, "the archive holds no spec file (damaged?)",
                     {.file = path});
  if (Sha256Hex(SpecText(sweep.files)) != sweep.spec_sha256)
    return MakeError(ErrorCode::kInvalidInput,
                     "the spec stored in the archive does not match its spec_sha256 (" +
                         sweep.spec_sha256.substr(0, 16) + "...): the archive is damaged",
                     {.file = path});
  sweep.spec_file = sweep.files.front().name;
  return sweep;
}

sweep::SpecSource ArchivedSweep::Source() const {
  auto files_by_path = std::make_shared<std::map<std::string, std::string>>();
  for (const SourceFile& file : files) files_by_path->emplace(file.name, file.text);
  sweep::SpecSource source{
      .read = [files_by_path](const std::string& wanted) -> Expected<std::string> {
        if (auto it = files_by_path->find(wanted); it != files_by_path->end()) return it->second;
        return MakeError(ErrorCode::kNotFound, "not among the files the archive stored",
                         {.file = wanted});
      },
      .presets = presets ? config::PresetLibrary::FromFiles(*presets)
                         : config::PresetLibrary::ForFileIn(
                               std::filesystem::path(spec_file).parent_path())};
  return source;
}

}  // namespace astrasweep::store
