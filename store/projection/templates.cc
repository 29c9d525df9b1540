#include "store/projection/templates.h"

#include <fmt/format.h>

#include "events/chain.h"
#include "store/fold/fold.h"
#include "store/fold/template.h"

namespace rollbook::store {

namespace {
// Empties the text and frees its buffer: clear_template_json() keeps the
// string's capacity, so every ReplicaSet in the writer's cache went on holding
// its template (a third of a 1M rebuild's heap, measured with jemalloc's
// profiler).
void ReleaseTemplateText(state::v1::ReplicaSet& rs) { std::string().swap(*rs.mutable_template_json()); }
}  // namespace

Status Templates::Strip(state::v1::ReplicaSet& rs) {
  if (rs.template_json().empty()) return Status::Ok();
  if (rs.template_digest().empty()) rs.set_template_digest(fold::TemplateDigest(rs.template_json()));
  if (deferral_) {
    RB_RETURN_IF_ERROR(deferral_->insert(rs.template_digest(), rs.template_json()));
    ReleaseTemplateText(rs);
    return Status::Ok();
  }
  if (!insert_) {
    RB_ASSIGN_OR_RETURN(Stmt s,
                        db_.Prepare("INSERT OR IGNORE INTO templates(digest, template_json) VALUES(?, ?)"));
    insert_.emplace(std::move(s));
  }
  insert_->Reset().BindBlob(1, rs.template_digest()).Bind(2, rs.template_json());
  RB_RETURN_IF_ERROR(insert_->Run());
  ReleaseTemplateText(rs);
  return Status::Ok();
}

Status Templates::Strip(state::v1::Aggregate& agg) {
  for (auto& rs : *agg.mutable_replica_sets()) RB_RETURN_IF_ERROR(Strip(rs));
  return Status::Ok();
}

namespace {
constexpr char kSelect[] = "SELECT template_json FROM templates WHERE digest = ?";
}  // namespace

void Templates::ReadFirstFrom(Db* reader) {
  if (reader == reader_) return;
  reader_select_.reset();
  reader_ = reader;
}

Status Templates::Fill(state::v1::ReplicaSet& rs) {
  if (!rs.template_json().empty() || rs.template_digest().empty()) return Status::Ok();
  if (deferral_) {
    if (const std::string* text = deferral_->lookup(rs.template_digest())) {
      rs.set_template_json(*text);
      return Status::Ok();
    }
  }
  if (reader_ != nullptr) {
    if (!reader_select_) {
      StatusOr<Stmt> s = reader_->Prepare(kSelect);
      if (s.ok()) reader_select_.emplace(std::move(*s));
    }
    if (reader_select_) {
      reader_select_->Reset().BindBlob(1, rs.template_digest());
      StatusOr<bool> row = reader_select_->Step();
      if (row.ok() && *row) rs.set_template_json(reader_select_->Text(0));
      reader_select_->Reset();  // ends the read transaction
      if (!rs.template_json().empty()) return Status::Ok();
      // Not committed yet, or the reader failed: ask the writer's connection.
    }
  }
  const WriteQueue::Paused paused(pause_);
  if (!select_) {
    RB_ASSIGN_OR_RETURN(Stmt s, db_.Prepare(kSelect));
    select_.emplace(std::move(s));
  }
  select_->Reset().BindBlob(1, rs.template_digest());
  RB_ASSIGN_OR_RETURN(bool row, select_->Step());
  if (!row) {
    return DataLoss(
        fmt::format("ReplicaSet {} refers to template {} that the templates table lacks; run "
                    "`rollbook admin rebuild`",
                    rs.name(), events::ShortHash(rs.template_digest())));
  }
  rs.set_template_json(select_->Text(0));
  select_->Reset();  // release the read cursor
  return Status::Ok();
}

Status Templates::Fill(state::v1::Aggregate& agg) {
  for (auto& rs : *agg.mutable_replica_sets()) RB_RETURN_IF_ERROR(Fill(rs));
  return Status::Ok();
}

Status Templates::FillRollbackTarget(state::v1::Aggregate& agg, int64_t to_revision) {
  std::string error;
  const state::v1::ReplicaSet* target = fold::FindRollbackTarget(agg, to_revision, &error);
  if (target == nullptr) return Status::Ok();
  for (auto& rs : *agg.mutable_replica_sets()) {
    if (&rs == target) return Fill(rs);
  }
  return Status::Ok();
}

}  // namespace rollbook::store
