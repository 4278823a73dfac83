// Non-induced counts behind the node and edge orbit counts of graphlets on
// 2-4 nodes, exact, OpenMP. Same stages as graphrep/orbits/_numba_counts.py
// (derivations in docs/counts.rst); graphrep/orbits/systems.py turns the
// counts into induced ones.
//
// Nodes are ranked by ascending (degree, id) and each neighbour list is
// re-sorted by rank (ids stay, so the graph's own locality is kept): Out(v),
// the neighbours ranked above v, is the tail of row v from hi[v]. Every
// triangle and 4-clique is found once, from its lowest-ranked node; every
// 4-cycle once, from its highest-ranked node. Writes that other
// threads may also make are atomic integer additions, so the result does not
// depend on the thread count. Per-node sums go to per-thread arrays.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "threads.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace py = pybind11;
using i64 = std::int64_t;
using u64 = std::uint64_t;

namespace {

using Array = py::array_t<i64, py::array::c_style | py::array::forcecast>;

inline void atomic_add(i64& target, i64 value) {
#pragma omp atomic
  target += value;
}

// Shared bits of two bit rows. POPCNT is not in the x86-64 baseline, so on
// x86-64 Linux the compiler also builds a POPCNT clone and picks one at load.
#if defined(__GNUC__) && defined(__x86_64__) && defined(__linux__)
__attribute__((target_clones("popcnt", "default")))
#endif
i64 common_bits(const u64* a, const u64* b, i64 words) {
  i64 common = 0;
  for (i64 word = 0; word < words; ++word) common += __builtin_popcountll(a[word] & b[word]);
  return common;
}

// Per-thread scratch, O(n) plus the bit rows of the largest Out(v), and the
// thread's share of the per-node sums (hot nodes are not shared by threads).
struct Scratch {
  std::vector<i64> local, own, paths, touched, pair_k4, pair_opposite, pair_degrees, pair_sides;
  std::vector<i64> k4, opposite, c4;
  std::vector<u64> bits;
};

class GraphletCounter4 {
 public:
  GraphletCounter4(Array indptr, Array indices, bool with_edges, int threads)
      : with_edges_(with_edges), threads_(thread_count(threads)) {
    const i64* in_ptr = indptr.data();
    const i64* in_idx = indices.data();
    n_ = static_cast<i64>(indptr.size()) - 1;
    positions_ = static_cast<i64>(indices.size());
    if (n_ < 0 || in_ptr[n_] != positions_) throw std::invalid_argument("indptr does not match indices");
    // the result array is filled in place by the last stage
    result_ = with_edges_ ? py::array_t<i64>({positions_ / 2, i64{12}}) : py::array_t<i64>({n_, i64{15}});
    out_ = result_.mutable_data();
    std::fill(out_, out_ + result_.size(), 0);
    py::gil_scoped_release release;
    ptr_.assign(in_ptr, in_ptr + n_ + 1);
    sort_rows(in_idx);
    t_.assign(positions_, 0);
    tri_.assign(n_, 0);
    d2_.assign(n_, 0);
    if (with_edges_) {
      edge_k4_.assign(positions_, 0);
      edge_degrees_.assign(positions_, 0);
      edge_sides_.assign(positions_, 0);
      edge_c4_.assign(positions_, 0);
      edge_of_position_.assign(positions_, -1);
      i64 next = 0;
      for (i64 v = 0; v < n_; ++v)
        for (i64 p = in_ptr[v]; p < in_ptr[v + 1]; ++p)
          if (in_idx[p] > v) edge_of_position_[p] = next++;
    }
    scratch_.resize(threads_);
  }

  // Estimated work per row of a stage, for chunks of equal work.
  py::array_t<i64> stage_work(const std::string& stage) const {
    py::array_t<i64> work(n_);
    i64* w = work.mutable_data();
    py::gil_scoped_release release;
#pragma omp parallel for schedule(static) num_threads(threads_)
    for (i64 v = 0; v < n_; ++v) {
      i64 total = degree(v);
      if (stage == "triangles" || stage == "cliques") {
        for (i64 p = hi_[v]; p < ptr_[v + 1]; ++p) total += ptr_[adj_[p] + 1] - hi_[adj_[p]];
      } else if (stage == "cycles") {
        for (i64 p = ptr_[v]; p < hi_[v]; ++p) total += degree(adj_[p]);
      }
      w[v] = total;
    }
    return work;
  }

  void run(const std::string& stage, i64 r0, i64 r1) {
    if (r0 < 0 || r1 > n_ || r0 > r1) throw std::out_of_range("row range outside the graph");
    int kind;
    if (stage == "triangles") kind = 0;
    else if (stage == "mirror") kind = 1;
    else if (stage == "cliques") kind = 2;
    else if (stage == "cycles") kind = 3;
    else if (stage == "assemble") kind = 4;
    else throw std::invalid_argument("unknown stage " + stage);
    py::gil_scoped_release release;
#pragma omp parallel for schedule(dynamic, 16) num_threads(threads_)
    for (i64 v = r0; v < r1; ++v) {
      // Only the enumerating stages take (and may first allocate) the
      // thread's scratch: assembling reads every thread's sums, so no scratch
      // may be created while it runs.
      switch (kind) {
        case 0: triangles(v, scratch(thread_id())); break;
        case 1: mirror(v); break;
        case 2: cliques(v, scratch(thread_id())); break;
        case 3: cycles(v, scratch(thread_id())); break;
        default: if (with_edges_) edge_row(v); else node_row(v);
      }
    }
  }

  py::array_t<i64> counts() const { return result_; }

  py::tuple stages() const {
    return py::make_tuple("triangles", "mirror", "cliques", "cycles", "assemble");
  }

 private:
  i64 degree(i64 v) const { return ptr_[v + 1] - ptr_[v]; }

  // Ranks by a counting sort on degree (stable in id); rows re-sorted by
  // neighbour rank, hi[v] the start of Out(v), rev[p] the position of the
  // same edge in the other end's row.
  void sort_rows(const i64* in_idx) {
    i64 max_degree = 0;
    for (i64 v = 0; v < n_; ++v) max_degree = std::max(max_degree, degree(v));
    std::vector<i64> start(max_degree + 2, 0);
    for (i64 v = 0; v < n_; ++v) ++start[degree(v) + 1];
    for (i64 d = 0; d <= max_degree; ++d) start[d + 1] += start[d];
    rank_.resize(n_);
    for (i64 v = 0; v < n_; ++v) rank_[v] = start[degree(v)]++;
    adj_.resize(positions_);
    hi_.resize(n_);
    if (with_edges_) origin_.resize(positions_);
#pragma omp parallel num_threads(threads_)
    {
      std::vector<i64> permutation;
#pragma omp for schedule(dynamic, 1024)
      for (i64 v = 0; v < n_; ++v) {
        const i64 base = ptr_[v], size = degree(v);
        i64* row = &adj_[base];
        i64* from = with_edges_ ? &origin_[base] : nullptr;
        if (size <= 32) {
          // insertion sort: rows are short in sparse graphs
          for (i64 i = 0; i < size; ++i) {
            const i64 x = in_idx[base + i], key = rank_[x];
            i64 j = i - 1;
            for (; j >= 0 && rank_[row[j]] > key; --j) {
              row[j + 1] = row[j];
              if (from) from[j + 1] = from[j];
            }
            row[j + 1] = x;
            if (from) from[j + 1] = base + i;
          }
        } else {
          permutation.resize(size);
          for (i64 i = 0; i < size; ++i) permutation[i] = i;
          std::sort(permutation.begin(), permutation.end(),
                    [&](i64 a, i64 b) { return rank_[in_idx[base + a]] < rank_[in_idx[base + b]]; });
          for (i64 i = 0; i < size; ++i) {
            row[i] = in_idx[base + permutation[i]];
            if (from) from[i] = base + permutation[i];
          }
        }
        i64 below = 0;
        while (below < size && rank_[row[below]] < rank_[v]) ++below;
        hi_[v] = base + below;
      }
    }
    // v sits in In(u), sorted by rank: bisection finds it
    rev_.resize(positions_);
#pragma omp parallel for schedule(dynamic, 1024) num_threads(threads_)
    for (i64 v = 0; v < n_; ++v) {
      const i64 rank_v = rank_[v];
      for (i64 p = hi_[v]; p < ptr_[v + 1]; ++p) {
        const i64 u = adj_[p];
        const i64 q = std::partition_point(&adj_[ptr_[u]], &adj_[hi_[u]],
                                           [&](i64 x) { return rank_[x] < rank_v; }) - adj_.data();
        rev_[p] = q;
        rev_[q] = p;
      }
    }
    max_out_ = 0;
    for (i64 v = 0; v < n_; ++v) max_out_ = std::max(max_out_, ptr_[v + 1] - hi_[v]);
  }

  Scratch& scratch(int id) {
    Scratch& s = scratch_[id];
    if (s.local.empty() && n_ > 0) {
      const i64 k = max_out_, words = (max_out_ + 63) / 64;
      s.local.assign(n_, -1);
      s.own.assign(k, 0);
      s.paths.assign(n_, 0);
      s.touched.resize(n_);
      s.pair_k4.assign(k, 0);
      s.pair_opposite.assign(k, 0);
      s.pair_degrees.assign(k, 0);
      s.pair_sides.assign(k, 0);
      s.bits.assign(k * words, 0);
      s.k4.assign(n_, 0);
      s.opposite.assign(n_, 0);
      s.c4.assign(n_, 0);
    }
    return s;
  }

  // Each triangle v < u < w (ranks) adds 1 to t of its three edges, stored at
  // the position in the lower-ranked end's row.
  void triangles(i64 v, Scratch& s) {
    const i64 begin = hi_[v], end = ptr_[v + 1];
    for (i64 p = begin; p < end; ++p) s.local[adj_[p]] = p;
    for (i64 p = begin; p < end; ++p) {
      const i64 u = adj_[p];
      for (i64 q = hi_[u]; q < ptr_[u + 1]; ++q) {
        const i64 position_vw = s.local[adj_[q]];
        if (position_vw >= 0) {           // w in Out(v) & Out(u)
          ++s.own[p - begin];             // edge (v, u)
          ++s.own[position_vw - begin];   // edge (v, w)
          atomic_add(t_[q], 1);           // edge (u, w), in u's row
        }
      }
    }
    for (i64 p = begin; p < end; ++p) {
      s.local[adj_[p]] = -1;
      if (s.own[p - begin]) atomic_add(t_[p], s.own[p - begin]);
      s.own[p - begin] = 0;
    }
  }

  void mirror(i64 v) {
    for (i64 p = hi_[v]; p < ptr_[v + 1]; ++p) t_[rev_[p]] = t_[p];
  }

  // tri[v], d2[v], and the triangles and 4-cliques whose lowest node is v,
  // through G_v, the subgraph induced on Out(v), held as bit rows: each edge
  // (u, w) of G_v is a triangle (v, u, w), and the common G_v-neighbours of u
  // and w are the 4-cliques {v, u, w, x}.
  void cliques(i64 v, Scratch& s) {
    const i64 begin = hi_[v], end = ptr_[v + 1];
    i64 triangles_at_v = 0, neighbour_degrees = 0;
    for (i64 p = ptr_[v]; p < end; ++p) {
      triangles_at_v += t_[p];
      neighbour_degrees += degree(adj_[p]);
    }
    tri_[v] = triangles_at_v / 2;
    d2_[v] = neighbour_degrees;
    const i64 k = end - begin;
    if (k < 2) return;
    const i64 words = (k + 63) >> 6;
    for (i64 i = 0; i < k; ++i) s.local[adj_[begin + i]] = i;
    std::fill(s.bits.begin(), s.bits.begin() + k * words, 0);
    u64* bits = s.bits.data();
    for (i64 i = 0; i < k; ++i) {
      const i64 u = adj_[begin + i];
      for (i64 q = hi_[u]; q < ptr_[u + 1]; ++q) {
        const i64 j = s.local[adj_[q]];
        if (j >= 0) {
          bits[i * words + (j >> 6)] |= u64{1} << (j & 63);
          bits[j * words + (i >> 6)] |= u64{1} << (i & 63);
        }
      }
    }
    const i64 degree_v = degree(v);
    i64 cliques_at_v = 0, opposite_v = 0;
    for (i64 i = 0; i < k; ++i) {
      const i64 u = adj_[begin + i], t_vu = t_[begin + i], degree_u = degree(u);
      for (i64 q = hi_[u]; q < ptr_[u + 1]; ++q) {
        const i64 j = s.local[adj_[q]];
        if (j < 0) continue;
        const i64 w = adj_[q], t_vw = t_[begin + j], t_uw = t_[q];
        // x in Out(v) adjacent to u and w: the 4-cliques {v, u, w, x}
        const i64 common = common_bits(bits + i * words, bits + j * words, words);
        cliques_at_v += common;
        s.pair_k4[i] += common;
        s.pair_k4[j] += common;
        opposite_v += t_uw;
        s.pair_opposite[i] += t_vw;
        s.pair_opposite[j] += t_vu;
        if (with_edges_) {
          atomic_add(edge_k4_[q], common);
          atomic_add(edge_degrees_[q], degree_v);
          atomic_add(edge_sides_[q], t_vu + t_vw);
          s.pair_degrees[i] += degree(w);
          s.pair_degrees[j] += degree_u;
          s.pair_sides[i] += t_vw + t_uw;
          s.pair_sides[j] += t_vu + t_uw;
        }
      }
    }
    // a 4-clique with lowest node v has 3 edges in G_v; one at x has 2 at x
    s.k4[v] += cliques_at_v / 3;
    s.opposite[v] += opposite_v;
    for (i64 i = 0; i < k; ++i) {
      const i64 x = adj_[begin + i];
      s.local[x] = -1;
      s.k4[x] += s.pair_k4[i] / 2;
      s.opposite[x] += s.pair_opposite[i];
      if (with_edges_) {
        atomic_add(edge_k4_[begin + i], s.pair_k4[i] / 2);
        atomic_add(edge_degrees_[begin + i], s.pair_degrees[i]);
        atomic_add(edge_sides_[begin + i], s.pair_sides[i]);
        s.pair_degrees[i] = s.pair_sides[i] = 0;
      }
      s.pair_k4[i] = s.pair_opposite[i] = 0;
    }
  }

  // 4-cycles by their highest node v: paths[w] counts the wedges v - u - w
  // with u, w ranked below v; C(paths[w], 2) cycles have w opposite v, and a middle u
  // lies on paths[w] - 1 of those through u and w.
  void cycles(i64 v, Scratch& s) {
    const i64 rank_v = rank_[v];
    i64 found = 0;
    for (i64 p = ptr_[v]; p < hi_[v]; ++p) {
      const i64 u = adj_[p];
      for (i64 q = ptr_[u]; q < ptr_[u + 1] && rank_[adj_[q]] < rank_v; ++q) {
        const i64 w = adj_[q];
        if (s.paths[w]++ == 0) s.touched[found++] = w;
      }
    }
    i64 cycles_at_v = 0;
    for (i64 i = 0; i < found; ++i) {
      const i64 w = s.touched[i], pairs = s.paths[w] * (s.paths[w] - 1) / 2;
      if (pairs) {
        cycles_at_v += pairs;
        s.c4[w] += pairs;
      }
    }
    if (cycles_at_v) {
      s.c4[v] += cycles_at_v;
      for (i64 p = ptr_[v]; p < hi_[v]; ++p) {
        const i64 u = adj_[p];
        i64 through_u = 0;
        for (i64 q = ptr_[u]; q < ptr_[u + 1] && rank_[adj_[q]] < rank_v; ++q) {
          const i64 others = s.paths[adj_[q]] - 1;
          through_u += others;
          if (with_edges_ && others) atomic_add(edge_c4_[q], others);   // edge (u, w)
        }
        if (through_u) {
          s.c4[u] += through_u;
          if (with_edges_) atomic_add(edge_c4_[p], through_u);          // edge (v, u)
        }
      }
    }
    for (i64 i = 0; i < found; ++i) s.paths[s.touched[i]] = 0;
  }

  // Non-induced N0..N14 of node v (docs/counts.rst derives each).
  void node_row(i64 v) {
    const i64 d = degree(v), tri = tri_[v];
    i64 k4 = 0, opposite = 0, c4 = 0;
    for (const Scratch& share : scratch_)
      if (!share.k4.empty()) {
        k4 += share.k4[v];
        opposite += share.opposite[v];
        c4 += share.c4[v];
      }
    i64 ends = 0, far_ends = 0, star_leaves = 0, side_triangles = 0, pendants = 0, diamonds = 0;
    for (i64 p = ptr_[v]; p < ptr_[v + 1]; ++p) {
      const i64 x = adj_[p], dx = degree(x), t = t_[p];
      ends += dx - 1;                          // sum (d(x) - 1)
      far_ends += d2_[x] - dx;                 // sum (d2(x) - d(x))
      star_leaves += (dx - 1) * (dx - 2) / 2;  // sum C(d(x) - 1, 2)
      side_triangles += tri_[x];               // sum tri(x)
      pendants += t * (dx - 2);                // sum t(v, x) (d(x) - 2)
      diamonds += t * (t - 1) / 2;             // sum C(t(v, x), 2)
    }
    i64* row = &out_[v * 15];
    row[0] = d;
    row[1] = ends;
    row[2] = d * (d - 1) / 2;
    row[3] = tri;
    row[4] = far_ends - d * (d - 1) - 2 * tri;
    row[5] = (d - 1) * ends - 2 * tri;
    row[6] = star_leaves;
    row[7] = d * (d - 1) * (d - 2) / 6;
    row[8] = c4;
    row[9] = side_triangles - 2 * tri;
    row[10] = pendants;
    row[11] = tri * (d - 2);
    row[12] = opposite - tri;
    row[13] = diamonds;
    row[14] = k4;
  }

  // Non-induced N0..N11 of the edges whose lower-ranked end is v.
  void edge_row(i64 v) {
    const i64 dv = degree(v);
    for (i64 p = hi_[v]; p < ptr_[v + 1]; ++p) {
      const i64 u = adj_[p], back = rev_[p], du = degree(u), t = t_[p];
      i64 index = edge_of_position_[origin_[p]];
      if (index < 0) index = edge_of_position_[origin_[back]];
      i64* row = &out_[index * 12];
      row[0] = du + dv - 2;
      row[1] = t;
      row[2] = d2_[u] + d2_[v] - 2 * du - 2 * dv + 2 - 2 * t;
      row[3] = (du - 1) * (dv - 1) - t;
      row[4] = (du - 1) * (du - 2) / 2 + (dv - 1) * (dv - 2) / 2;
      row[5] = edge_c4_[p] + edge_c4_[back];
      row[6] = tri_[u] + tri_[v] - 2 * t;
      row[7] = edge_degrees_[p] + edge_degrees_[back] - 2 * t;
      row[8] = t * (du + dv - 4);
      row[9] = edge_sides_[p] + edge_sides_[back] - 2 * t;
      row[10] = t * (t - 1) / 2;
      row[11] = edge_k4_[p] + edge_k4_[back];
    }
  }

  bool with_edges_;
  int threads_;
  i64 n_ = 0, positions_ = 0, max_out_ = 0;
  std::vector<i64> ptr_, rank_, adj_, hi_, rev_, origin_, edge_of_position_;
  std::vector<i64> t_, tri_, d2_;
  std::vector<i64> edge_k4_, edge_degrees_, edge_sides_, edge_c4_;
  py::array_t<i64> result_;
  i64* out_ = nullptr;
  std::vector<Scratch> scratch_;
};

}  // namespace

void register_counts(py::module_& m) {
  py::class_<GraphletCounter4>(m, "GraphletCounter4",
                               "Non-induced counts of graphlets on 2-4 nodes for a CSR graph, stage by stage "
                               "(see graphrep/orbits/_numba_counts.py for the contract).")
      .def(py::init<Array, Array, bool, int>(), py::arg("indptr"), py::arg("indices"), py::arg("with_edges"),
           py::arg("threads"))
      .def_property_readonly("stages", &GraphletCounter4::stages)
      .def("stage_work", &GraphletCounter4::stage_work, py::arg("stage"))
      .def("run", &GraphletCounter4::run, py::arg("stage"), py::arg("r0"), py::arg("r1"))
      .def("counts", &GraphletCounter4::counts);
}
