#include "store/projection/digest.h"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <sqlite3.h>

#include <memory>
#include <vector>

#include "events/chain.h"
#include "rollbook/state/v1/aggregate.pb.h"
#include "store/fold/fold.h"

namespace rollbook::store {

namespace {

struct Table {
  const char* name;
  const char* order_by;      // the primary key
  const char* state_column;  // protobuf blob to canonicalize, or nullptr
  bool aggregate;            // state_column holds an Aggregate (else a ReplicaSet)
};

// Every table of schema version 6, in name order.
constexpr Table kTables[] = {
    {"changes", "partition, offset", nullptr, false},
    {"controller_events", "partition, offset, seq", nullptr, false},
    {"deployment_labels", "namespace, name, key", nullptr, false},
    {"deployment_listing", "key, value, namespace, name", nullptr, false},
    {"deployments", "namespace, name", "state", true},
    {"meta", "key", nullptr, false},
    {"offsets", "partition", nullptr, false},
    {"quarantine", "partition, offset", nullptr, false},
    {"replica_sets", "namespace, deployment, creation_seq", "state", false},
    {"snapshots", "namespace, name, partition, offset", "state", true},
    {"templates", "digest", nullptr, false},
};

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

class Hasher {
 public:
  Hasher() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr); }
  void Field(char tag, std::string_view bytes) {
    const uint64_t n = bytes.size();
    EVP_DigestUpdate(ctx_.get(), &tag, 1);
    EVP_DigestUpdate(ctx_.get(), &n, sizeof n);
    EVP_DigestUpdate(ctx_.get(), bytes.data(), bytes.size());
  }
  std::string Finish() {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    EVP_DigestFinal_ex(ctx_.get(), out, &size);
    return std::string(reinterpret_cast<const char*>(out), size);
  }

 private:
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx_;
};

}  // namespace

StatusOr<ProjectionDigest> ComputeDigest(Db& db) {
  ProjectionDigest digest;
  Hasher h;
  // One read transaction: a consistent snapshot even while a projector writes.
  RB_RETURN_IF_ERROR(db.Exec("BEGIN"));
  auto body = [&]() -> Status {
    for (const Table& t : kTables) {
      h.Field('T', t.name);
      RB_ASSIGN_OR_RETURN(Stmt s,
                          db.Prepare(fmt::format("SELECT * FROM {} ORDER BY {}", t.name, t.order_by)));
      int64_t rows = 0;
      for (;;) {
        RB_ASSIGN_OR_RETURN(bool row, s.Step());
        if (!row) break;
        ++rows;
        h.Field('R', {});
        for (int c = 0; c < s.ColumnCount(); ++c) {
          switch (s.Type(c)) {
            case SQLITE_NULL:
              h.Field('N', {});
              break;
            case SQLITE_INTEGER: {
              const int64_t v = s.Int(c);
              h.Field('I', std::string_view(reinterpret_cast<const char*>(&v), sizeof v));
              break;
            }
            case SQLITE_TEXT:
              h.Field('S', s.Text(c));
              break;
            default: {  // BLOB (no REAL columns exist)
              std::string blob = s.Blob(c);
              if (t.state_column != nullptr && s.ColumnName(c) == t.state_column) {
                std::unique_ptr<google::protobuf::Message> m;
                if (t.aggregate) {
                  m = std::make_unique<state::v1::Aggregate>();
                } else {
                  m = std::make_unique<state::v1::ReplicaSet>();
                }
                if (!m->ParseFromString(blob)) {
                  return DataLoss(
                      fmt::format("corrupt {} blob in table {} (row {})", t.state_column, t.name, rows));
                }
                blob = fold::CanonicalBytes(*m);
              }
              h.Field('B', blob);
            }
          }
        }
      }
      digest.rows[t.name] = rows;
    }
    return Status::Ok();
  };
  Status s = body();
  (void)db.Exec("COMMIT");
  RB_RETURN_IF_ERROR(s);
  digest.sha256_hex = events::HexHash(h.Finish());
  return digest;
}

}  // namespace rollbook::store
