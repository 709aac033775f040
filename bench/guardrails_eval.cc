// Accuracy of the guardrails engine on the labelled development sets in ../shared/datasets,
// scored exactly as ../shared/datasets/score.py scores them (see its README, section 3):
//
//   PII / secrets, entity level: per type, precision / recall / F1 in EXACT mode (same start
//   and end) and OVERLAP mode (ranges intersect), one-to-one matching with exact pairs first,
//   then overlaps by largest intersection; micro averages over PII, SECRET and ALL; any-type
//   overlap; hard-negative hits per kind; leaked-character fraction.
//   Injection, document level: precision, recall, F1, false-positive rate on benign prompts,
//   recall per attack category, FPR per benign category, ROC-AUC of the scores.
//
// Usage: guardrails_eval [--pii FILE] [--injection FILE] [--threshold T] [--write-pred DIR]
// --write-pred writes pii_pred.jsonl and injection_pred.jsonl in score.py's input format so the
// numbers can be cross-checked:  python3 score.py pii pii_secrets_dev.jsonl DIR/pii_pred.jsonl

#include <gatehouse/guardrails/engine.h>
#include <gatehouse/guardrails/policy.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#ifndef GATEHOUSE_DATASETS_DIR
#define GATEHOUSE_DATASETS_DIR "../shared/datasets"
#endif

namespace {

using gatehouse::guardrails::Engine;
using gatehouse::guardrails::EntityType;
using gatehouse::guardrails::entityTypeName;

struct Span {
  std::string type;
  int start = 0;
  int end = 0;
};

struct PiiItem {
  std::string id;
  std::string text;
  std::vector<Span> gold;
  std::vector<Span> negatives;  // type = kind
};

struct InjectionItem {
  std::string id;
  std::string text;
  int label = 0;
  std::string category;
  std::string subset;
};

const std::set<std::string> kPii = {"EMAIL", "PHONE", "SSN", "CREDIT_CARD", "IP_ADDRESS", "IBAN"};
const std::set<std::string> kSecret = {"API_KEY", "AWS_ACCESS_KEY", "AWS_SECRET_KEY", "PRIVATE_KEY",
                                       "JWT",     "GENERIC_SECRET"};

std::vector<boost::json::value> readJsonl(const std::string& path) {
  std::ifstream file(path);
  if (!file) {
    std::cerr << "cannot read " << path << "\n";
    std::exit(2);
  }
  std::vector<boost::json::value> rows;
  std::string line;
  while (std::getline(file, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) {
      continue;
    }
    rows.push_back(boost::json::parse(line));
  }
  return rows;
}

std::vector<Span> spans(const boost::json::value& row, const char* key, const char* type_key) {
  std::vector<Span> out;
  if (const auto* list = row.as_object().if_contains(key)) {
    for (const auto& e : list->as_array()) {
      const auto& o = e.as_object();
      out.push_back(Span{std::string(o.at(type_key).as_string()),
                         static_cast<int>(o.at("start").as_int64()),
                         static_cast<int>(o.at("end").as_int64())});
    }
  }
  return out;
}

// score.py's match(): one-to-one, exact pairs first, then overlaps by largest intersection.
int match(const std::vector<Span>& gold, const std::vector<Span>& pred, bool overlap, bool typed) {
  std::vector<std::tuple<int, int, std::size_t, std::size_t>> pairs;
  for (std::size_t gi = 0; gi < gold.size(); ++gi) {
    for (std::size_t pi = 0; pi < pred.size(); ++pi) {
      const Span& g = gold[gi];
      const Span& p = pred[pi];
      if (typed && g.type != p.type) {
        continue;
      }
      const int inter = std::min(g.end, p.end) - std::max(g.start, p.start);
      if (g.start == p.start && g.end == p.end) {
        pairs.emplace_back(0, -inter, gi, pi);
      } else if (overlap && inter > 0) {
        pairs.emplace_back(1, -inter, gi, pi);
      }
    }
  }
  std::sort(pairs.begin(), pairs.end());
  std::set<std::size_t> used_g;
  std::set<std::size_t> used_p;
  int tp = 0;
  for (const auto& [kind, neg_inter, gi, pi] : pairs) {
    if (used_g.count(gi) != 0 || used_p.count(pi) != 0) {
      continue;
    }
    used_g.insert(gi);
    used_p.insert(pi);
    ++tp;
  }
  return tp;
}

struct Prf {
  double p;
  double r;
  double f;
};

Prf prf(long tp, long npred, long ngold) {
  const double p = npred != 0 ? static_cast<double>(tp) / npred : (ngold == 0 ? 1.0 : 0.0);
  const double r = ngold != 0 ? static_cast<double>(tp) / ngold : 1.0;
  const double f = p + r > 0 ? 2 * p * r / (p + r) : 0.0;
  return Prf{p, r, f};
}

void evaluatePii(const Engine& engine, const std::string& path, const std::string& pred_dir) {
  std::vector<PiiItem> items;
  for (const auto& row : readJsonl(path)) {
    const auto& o = row.as_object();
    items.push_back(PiiItem{std::string(o.at("id").as_string()),
                            std::string(o.at("text").as_string()), spans(row, "entities", "type"),
                            spans(row, "hard_negatives", "kind")});
  }
  std::vector<std::vector<Span>> predictions;
  std::size_t bytes = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (const PiiItem& item : items) {
    std::vector<Span> pred;
    for (const auto& f : engine.scanAll(item.text).findings) {
      if (f.type != EntityType::kCustom) {
        pred.push_back(Span{std::string(entityTypeName(f.type)), static_cast<int>(f.start),
                            static_cast<int>(f.end)});
      }
    }
    bytes += item.text.size();
    predictions.push_back(std::move(pred));
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  if (!pred_dir.empty()) {
    std::ofstream out(pred_dir + "/pii_pred.jsonl");
    for (std::size_t i = 0; i < items.size(); ++i) {
      out << "{\"id\":\"" << items[i].id << "\",\"entities\":[";
      for (std::size_t k = 0; k < predictions[i].size(); ++k) {
        const Span& s = predictions[i][k];
        out << (k ? "," : "") << "{\"type\":\"" << s.type << "\",\"start\":" << s.start
            << ",\"end\":" << s.end << "}";
      }
      out << "]}\n";
    }
  }

  std::printf("== PII / secrets: %s (%zu texts, %zu bytes, %.1f ms)\n", path.c_str(), items.size(),
              bytes, seconds * 1e3);
  for (const bool overlap : {true, false}) {
    std::map<std::string, std::array<long, 3>> per;  // tp, npred, ngold
    long any_tp = 0;
    long any_np = 0;
    long any_ng = 0;
    for (std::size_t i = 0; i < items.size(); ++i) {
      const auto& gold = items[i].gold;
      const auto& pred = predictions[i];
      std::set<std::string> types;
      for (const auto& s : gold) {
        types.insert(s.type);
      }
      for (const auto& s : pred) {
        types.insert(s.type);
      }
      for (const std::string& t : types) {
        std::vector<Span> gt;
        std::vector<Span> pt;
        std::copy_if(gold.begin(), gold.end(), std::back_inserter(gt),
                     [&](const Span& s) { return s.type == t; });
        std::copy_if(pred.begin(), pred.end(), std::back_inserter(pt),
                     [&](const Span& s) { return s.type == t; });
        per[t][0] += match(gt, pt, overlap, true);
        per[t][1] += static_cast<long>(pt.size());
        per[t][2] += static_cast<long>(gt.size());
      }
      any_tp += match(gold, pred, overlap, false);
      any_np += static_cast<long>(pred.size());
      any_ng += static_cast<long>(gold.size());
    }
    std::printf("\n-- %s match\n%-16s %6s %6s %6s %5s %5s %5s\n", overlap ? "OVERLAP" : "EXACT",
                "type", "P", "R", "F1", "tp", "pred", "gold");
    auto row = [](const std::string& name, long tp, long np, long ng) {
      const Prf m = prf(tp, np, ng);
      std::printf("%-16s %6.3f %6.3f %6.3f %5ld %5ld %5ld\n", name.c_str(), m.p, m.r, m.f, tp, np,
                  ng);
    };
    for (const auto& [t, v] : per) {
      row(t, v[0], v[1], v[2]);
    }
    for (const auto& [family, members] :
         std::vector<std::pair<std::string, const std::set<std::string>*>>{
             {"micro_PII", &kPii}, {"micro_SECRET", &kSecret}, {"micro_ALL", nullptr}}) {
      long tp = 0;
      long np = 0;
      long ng = 0;
      for (const auto& [t, v] : per) {
        if (members == nullptr || members->count(t) != 0) {
          tp += v[0];
          np += v[1];
          ng += v[2];
        }
      }
      row(family, tp, np, ng);
    }
    row("any_type", any_tp, any_np, any_ng);
  }

  std::map<std::string, std::pair<int, int>> negatives;  // kind -> hits, total
  long leaked = 0;
  long total = 0;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const auto& pred = predictions[i];
    for (const Span& n : items[i].negatives) {
      auto& slot = negatives[n.type];
      ++slot.second;
      if (std::any_of(pred.begin(), pred.end(),
                      [&](const Span& p) { return p.start < n.end && n.start < p.end; })) {
        ++slot.first;
      }
    }
    for (const Span& e : items[i].gold) {
      for (int c = e.start; c < e.end; ++c) {
        ++total;
        if (std::none_of(pred.begin(), pred.end(),
                         [&](const Span& p) { return p.start <= c && c < p.end; })) {
          ++leaked;
        }
      }
    }
  }
  int hits = 0;
  int negs = 0;
  std::printf("\n-- hard-negative hits (kinds with hits only)\n");
  for (const auto& [kind, v] : negatives) {
    hits += v.first;
    negs += v.second;
    if (v.first != 0) {
      std::printf("%-22s %d/%d\n", kind.c_str(), v.first, v.second);
    }
  }
  std::printf("hard-negative hit rate: %d/%d = %.4f\nleaked-character fraction: %.4f\n", hits, negs,
              negs ? static_cast<double>(hits) / negs : 0.0,
              total ? static_cast<double>(leaked) / total : 0.0);
}

void evaluateInjection(const Engine& engine, const std::string& path, double threshold,
                       const std::string& pred_dir) {
  std::vector<InjectionItem> items;
  for (const auto& row : readJsonl(path)) {
    const auto& o = row.as_object();
    InjectionItem item;
    item.id = std::string(o.at("id").as_string());
    item.text = std::string(o.at("text").as_string());
    item.label = static_cast<int>(o.at("label").as_int64());
    item.category = std::string(o.at("category").as_string());
    if (const auto* subset = o.if_contains("subset")) {
      item.subset = std::string(subset->as_string());
    }
    items.push_back(std::move(item));
  }
  long tp = 0;
  long fp = 0;
  long fn = 0;
  long tn = 0;
  std::map<std::pair<int, std::string>, std::pair<int, int>> by_category;
  std::vector<double> pos;
  std::vector<double> neg;
  std::ofstream pred_out;
  if (!pred_dir.empty()) {
    pred_out.open(pred_dir + "/injection_pred.jsonl");
  }
  for (const InjectionItem& item : items) {
    const double score = engine.scanAll(item.text).injection.score;
    if (pred_out) {
      char buffer[64];
      std::snprintf(buffer, sizeof(buffer), "%.6f", score);
      pred_out << "{\"id\":\"" << item.id << "\",\"score\":" << buffer << "}\n";
    }
    const bool flagged = score >= threshold;
    (item.label ? pos : neg).push_back(score);
    tp += item.label && flagged;
    fn += item.label && !flagged;
    fp += !item.label && flagged;
    tn += !item.label && !flagged;
    auto& slot = by_category[{item.label, item.category}];
    slot.first += flagged;
    ++slot.second;
  }
  const Prf m = prf(tp, tp + fp, tp + fn);
  // ROC-AUC by rank sum with averaged ties, as score.py computes it.
  std::vector<std::pair<double, int>> all;
  for (double s : pos) {
    all.emplace_back(s, 1);
  }
  for (double s : neg) {
    all.emplace_back(s, 0);
  }
  std::sort(all.begin(), all.end());
  double rank_sum = 0;
  for (std::size_t i = 0; i < all.size();) {
    std::size_t j = i;
    while (j < all.size() && all[j].first == all[i].first) {
      ++j;
    }
    const double rank = (static_cast<double>(i) + static_cast<double>(j) + 1) / 2;
    for (std::size_t k = i; k < j; ++k) {
      if (all[k].second == 1) {
        rank_sum += rank;
      }
    }
    i = j;
  }
  const double n_pos = static_cast<double>(pos.size());
  const double auc = (pos.empty() || neg.empty()) ? 0.0
                                                  : (rank_sum - n_pos * (n_pos + 1) / 2) /
                                                        (n_pos * static_cast<double>(neg.size()));
  std::printf("\n== Injection: %s (threshold %.2f)\n", path.c_str(), threshold);
  std::printf(
      "precision %.3f  recall %.3f  F1 %.3f  FPR(benign) %.4f (%ld/%ld)  accuracy %.3f  "
      "ROC-AUC %.3f\n",
      m.p, m.r, m.f, static_cast<double>(fp) / std::max<long>(1, fp + tn), fp, fp + tn,
      static_cast<double>(tp + tn) / static_cast<double>(items.size()), auc);
  std::printf("recall by attack category:\n");
  for (const auto& [key, v] : by_category) {
    if (key.first == 1) {
      std::printf("  %-22s %d/%d\n", key.second.c_str(), v.first, v.second);
    }
  }
  std::printf("false positives by benign category:\n");
  for (const auto& [key, v] : by_category) {
    if (key.first == 0) {
      std::printf("  %-22s %d/%d\n", key.second.c_str(), v.first, v.second);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string pii = std::string(GATEHOUSE_DATASETS_DIR) + "/pii_secrets_dev.jsonl";
  std::string injection = std::string(GATEHOUSE_DATASETS_DIR) + "/injection_dev.jsonl";
  std::string pred_dir;
  double threshold = -1;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << arg << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--pii") {
      pii = next();
    } else if (arg == "--injection") {
      injection = next();
    } else if (arg == "--threshold") {
      threshold = std::stod(next());
    } else if (arg == "--write-pred") {
      pred_dir = next();
    } else {
      std::cerr << "usage: guardrails_eval [--pii FILE] [--injection FILE] [--threshold T] "
                   "[--write-pred DIR]\n";
      return 2;
    }
  }
  auto engine = Engine::create(gatehouse::guardrails::flagEverythingPolicy());
  if (!engine) {
    std::cerr << engine.error().message << "\n";
    return 2;
  }
  if (threshold < 0) {
    threshold = (*engine)->policy().injection_threshold;
  }
  if (!pii.empty()) {
    evaluatePii(**engine, pii, pred_dir);
  }
  if (!injection.empty()) {
    evaluateInjection(**engine, injection, threshold, pred_dir);
  }
  return 0;
}
