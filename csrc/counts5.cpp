// Five-node graphlet counts: the 82 rooted homomorphism columns, exact, OpenMP.
//
// The same scheme as graphrep/orbits/_numba_counts5.py (derivations in
// docs/counts5.rst; the columns are listed in graphrep/orbits/_system5.py,
// which turns them into induced orbit counts). For an ordered edge (x, y),
// column j is the number of edge-preserving maps of one graphlet pattern
// sending its root edge to (x, y), no distinctness required. Three passes
// over the roots x:
//   1. t(x, y) = |N(x) & N(y)| on every CSR slot;
//   2. per edge x < y (both slots): A3 = (A^3)[x, y], Td = sum_C d,
//      TT(x->y) = sum_C t(x, .), k4 = edges inside C = N(x) & N(y),
//      k5 = triangles inside C (along a degree order); per node C4h = (A^4)[x, x];
//   3. the columns, from the root's rows over its 2- and 3-ball (c, ct, W3, e)
//      and two sweeps over the neighbourhoods of each edge's common neighbours.
// A root writes only its own rows (its node row, or its edges' slots), so the
// result does not depend on the thread count; node counts that belong to the
// other end of an edge go to per-thread arrays summed at the end.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <vector>

#include "threads.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace py = pybind11;
using i64 = std::int64_t;

namespace {

constexpr int kColumns = 82;
constexpr int kRemote = 3;
using Array = py::array_t<i64, py::array::c_style | py::array::forcecast>;

// O(n) scratch of one thread; every array is back to its resting value
// (zeros, or -1 for mark) after each root.
struct Scratch {
  std::vector<i64> mark, stamp, inner, c, ct, w3, erow, cnt, list2, list3, liste, listc;
  std::vector<i64> common, cxw, cyw, remote;
  i64 key = 0;
  Scratch(i64 n, i64 max_degree, bool with_remote)
      : mark(n, -1), stamp(n, 0), inner(n, 0), c(n, 0), ct(n, 0), w3(n, 0), erow(n, 0), cnt(n, 0),
        list2(n), list3(n), liste(n), listc(n), common(max_degree), cxw(max_degree), cyw(max_degree),
        remote(with_remote ? n * kRemote : 0, 0) {}
};

class Counts5 {
 public:
  Counts5(Array indptr, Array indices, bool per_slot, int threads)
      : indptr_array_(indptr), indices_array_(indices), per_slot_(per_slot), threads_(thread_count(threads)) {
    ip_ = indptr_array_.data();
    ix_ = indices_array_.data();
    n_ = static_cast<i64>(indptr_array_.size()) - 1;
    if (n_ < 0) throw std::invalid_argument("indptr must have at least one entry");
    slots_ = static_cast<i64>(indices_array_.size());
    out_ = py::array_t<i64>({per_slot_ ? slots_ : n_, static_cast<i64>(kColumns)});
    rev_array_ = py::array_t<i64>(slots_);
    i64* out = out_.mutable_data();
    const i64 out_size = static_cast<i64>(out_.size());
    i64* rev = rev_array_.mutable_data();
    py::gil_scoped_release release;
    std::fill(out, out + out_size, 0);
    prepare(rev);
  }

  // Pass 3 on the roots u0..u1-1 (adds to the columns).
  void columns(i64 u0, i64 u1) {
    if (u0 < 0 || u1 > n_ || u0 > u1) throw std::out_of_range("root range outside the graph");
    i64* out = out_.mutable_data();
    py::gil_scoped_release release;
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads_)
    for (i64 x = u0; x < u1; ++x) {
      Scratch& s = scratch(thread_id());
      if (per_slot_)
        root<true>(x, s, out);
      else
        root<false>(x, s, out);
    }
  }

  py::array_t<i64> out() const { return out_; }
  py::array_t<i64> reverse_slots() const { return rev_array_; }

  // int64[n, 3]: the remote columns summed over the threads.
  py::array_t<i64> remote() const {
    py::array_t<i64> total({n_, static_cast<i64>(kRemote)});
    i64* dst = total.mutable_data();
    std::fill(dst, dst + n_ * kRemote, 0);
    for (const auto& s : scratch_)
      if (s && !s->remote.empty())
        for (i64 i = 0; i < n_ * kRemote; ++i) dst[i] += s->remote[i];
    return total;
  }

 private:
  Scratch& scratch(int id) {
    if (!scratch_[id]) scratch_[id] = std::make_unique<Scratch>(n_, max_degree_ + 1, !per_slot_);
    return *scratch_[id];
  }

  i64 slot_of(i64 y, i64 x) const { return std::lower_bound(ix_ + ip_[y], ix_ + ip_[y + 1], x) - ix_; }

  i64 row_sum(const std::vector<i64>& slot_values, i64 v) const {
    i64 total = 0;
    for (i64 s = ip_[v]; s < ip_[v + 1]; ++s) total += slot_values[s];
    return total;
  }

  void prepare(i64* rev) {
    scratch_.resize(threads_);
    deg_.resize(n_);
    max_degree_ = 0;
    for (i64 v = 0; v < n_; ++v) {
      deg_[v] = ip_[v + 1] - ip_[v];
      max_degree_ = std::max(max_degree_, deg_[v]);
    }
#pragma omp parallel for schedule(dynamic, 256) num_threads(threads_)
    for (i64 x = 0; x < n_; ++x)
      for (i64 s = ip_[x]; s < ip_[x + 1]; ++s) rev[s] = slot_of(ix_[s], x);
    rev_ = rev;
    // degree order: each node's later neighbours
    std::vector<i64> rank(n_), order(n_);
    for (i64 v = 0; v < n_; ++v) order[v] = v;
    std::sort(order.begin(), order.end(), [&](i64 a, i64 b) { return deg_[a] != deg_[b] ? deg_[a] < deg_[b] : a < b; });
    for (i64 i = 0; i < n_; ++i) rank[order[i]] = i;
    out_ptr_.assign(n_ + 1, 0);
    for (i64 v = 0; v < n_; ++v)
      for (i64 s = ip_[v]; s < ip_[v + 1]; ++s) out_ptr_[v + 1] += rank[ix_[s]] > rank[v];
    for (i64 v = 0; v < n_; ++v) out_ptr_[v + 1] += out_ptr_[v];
    out_idx_.resize(out_ptr_[n_]);
    for (i64 v = 0; v < n_; ++v) {
      i64 at = out_ptr_[v];
      for (i64 s = ip_[v]; s < ip_[v + 1]; ++s)
        if (rank[ix_[s]] > rank[v]) out_idx_[at++] = ix_[s];
    }
    // pass 1: triangles on every slot
    t_.assign(slots_, 0);
#pragma omp parallel for schedule(dynamic, 16) num_threads(threads_)
    for (i64 x = 0; x < n_; ++x) {
      Scratch& s = scratch(thread_id());
      for (i64 e = ip_[x]; e < ip_[x + 1]; ++e) s.mark[ix_[e]] = e;
      for (i64 e = ip_[x]; e < ip_[x + 1]; ++e) {
        const i64 y = ix_[e];
        i64 found = 0;
        for (i64 r = ip_[y]; r < ip_[y + 1]; ++r) found += s.mark[ix_[r]] >= 0;
        t_[e] = found;
      }
      for (i64 e = ip_[x]; e < ip_[x + 1]; ++e) s.mark[ix_[e]] = -1;
    }
    tri_.resize(n_);
    s1_.resize(n_);
    s2_.resize(n_);
    p1_.resize(n_);
    dg_.resize(n_);
    for (i64 v = 0; v < n_; ++v) {
      i64 tri2 = 0, a = 0, b = 0, p = 0, g = 0;
      for (i64 e = ip_[v]; e < ip_[v + 1]; ++e) {
        const i64 d = deg_[ix_[e]];
        tri2 += t_[e];
        a += d;
        b += d * d;
        p += t_[e] * d;
        g += t_[e] * t_[e];
      }
      tri_[v] = tri2 / 2;
      s1_[v] = a;
      s2_[v] = b;
      p1_[v] = p;
      dg_[v] = g;
    }
    w3n_.resize(n_);
    q1_.resize(n_);
    for (i64 v = 0; v < n_; ++v) {
      i64 a = 0, b = 0;
      for (i64 e = ip_[v]; e < ip_[v + 1]; ++e) {
        a += s1_[ix_[e]];
        b += tri_[ix_[e]];
      }
      w3n_[v] = a;
      q1_[v] = b;
    }
    // pass 2: per-edge statistics
    a3_.assign(slots_, 0);
    td_.assign(slots_, 0);
    tt_.assign(slots_, 0);
    k4_.assign(slots_, 0);
    k5_.assign(slots_, 0);
    c4h_.assign(n_, 0);
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads_)
    for (i64 x = 0; x < n_; ++x) edge_statistics(x, scratch(thread_id()));
    dt_.resize(n_);
    k4n_.resize(n_);
    for (i64 v = 0; v < n_; ++v) {
      i64 a = 0;
      for (i64 e = ip_[v]; e < ip_[v + 1]; ++e) a += tt_[rev_[e]];  // TT(z -> v)
      dt_[v] = a;
      k4n_[v] = row_sum(k4_, v) / 3;
    }
  }

  void edge_statistics(i64 x, Scratch& s) {
    for (i64 e = ip_[x]; e < ip_[x + 1]; ++e) s.mark[ix_[e]] = e;
    // 2-walk row c(p) = |N(x) & N(p)|, p = x included
    i64 size = 0;
    for (i64 e = ip_[x]; e < ip_[x + 1]; ++e) {
      const i64 y = ix_[e];
      for (i64 r = ip_[y]; r < ip_[y + 1]; ++r) {
        const i64 p = ix_[r];
        if (s.c[p] == 0) s.list2[size++] = p;
        ++s.c[p];
      }
    }
    i64 closed4 = 0;  // closed 4-walks at x: sum_p c(p)^2
    for (i64 i = 0; i < size; ++i) closed4 += s.c[s.list2[i]] * s.c[s.list2[i]];
    c4h_[x] = closed4;
    for (i64 sxy = ip_[x]; sxy < ip_[x + 1]; ++sxy) {
      const i64 y = ix_[sxy];
      if (y < x) continue;
      const i64 key = ++s.key;
      i64 walks3 = 0, nc = 0, sum_d = 0, sum_tx = 0, sum_ty = 0;
      for (i64 syw = ip_[y]; syw < ip_[y + 1]; ++syw) {
        const i64 w = ix_[syw];
        walks3 += s.c[w];  // 3-walks x - . - w - y
        if (s.mark[w] >= 0) {  // w in C: triangle x, y, w
          s.common[nc++] = w;
          s.stamp[w] = key;
          sum_d += deg_[w];
          sum_tx += t_[s.mark[w]];
          sum_ty += t_[syw];
        }
      }
      // k4: edges inside C, each once along the degree order; k5: triangles
      // w < u < v inside C (v marked as a later neighbour of w)
      i64 cliques4 = 0, cliques5 = 0;
      for (i64 i = 0; i < nc; ++i) {
        const i64 w = s.common[i];
        for (i64 r = out_ptr_[w]; r < out_ptr_[w + 1]; ++r)
          if (s.stamp[out_idx_[r]] == key) {
            ++cliques4;
            s.inner[out_idx_[r]] = key;
          }
        for (i64 r = out_ptr_[w]; r < out_ptr_[w + 1]; ++r) {
          const i64 u = out_idx_[r];
          if (s.stamp[u] != key) continue;
          for (i64 q = out_ptr_[u]; q < out_ptr_[u + 1]; ++q) cliques5 += s.inner[out_idx_[q]] == key;
        }
        for (i64 r = out_ptr_[w]; r < out_ptr_[w + 1]; ++r) s.inner[out_idx_[r]] = 0;
      }
      const i64 syx = rev_[sxy];
      a3_[sxy] = a3_[syx] = walks3;
      td_[sxy] = td_[syx] = sum_d;
      tt_[sxy] = sum_tx;
      tt_[syx] = sum_ty;
      k4_[sxy] = k4_[syx] = cliques4;
      k5_[sxy] = k5_[syx] = cliques5;
    }
    for (i64 i = 0; i < size; ++i) s.c[s.list2[i]] = 0;
    for (i64 e = ip_[x]; e < ip_[x + 1]; ++e) s.mark[ix_[e]] = -1;
  }

  template <bool PerSlot>
  void root(i64 x, Scratch& s, i64* out) {
    const i64* t = t_.data();
    for (i64 e = ip_[x]; e < ip_[x + 1]; ++e) s.mark[ix_[e]] = e;
    const i64 dx = deg_[x];
    // rows over the 2-ball: c(p) = |N(x) & N(p)|, ct(p) = sum over q in N(x) & N(p) of t(q, p)
    i64 n2 = 0;
    for (i64 sxq = ip_[x]; sxq < ip_[x + 1]; ++sxq) {
      const i64 q = ix_[sxq];
      for (i64 sqp = ip_[q]; sqp < ip_[q + 1]; ++sqp) {
        const i64 p = ix_[sqp];
        if (s.c[p] == 0) s.list2[n2++] = p;
        ++s.c[p];
        s.ct[p] += t[sqp];
      }
    }
    // W3(p) = (A^3)[x, p] = sum over q in N(p) of c(q)
    i64 n3 = 0;
    for (i64 i = 0; i < n2; ++i) {
      const i64 q = s.list2[i];
      const i64 cq = s.c[q];
      for (i64 r = ip_[q]; r < ip_[q + 1]; ++r) {
        const i64 p = ix_[r];
        if (s.w3[p] == 0) s.list3[n3++] = p;
        s.w3[p] += cq;
      }
    }
    i64 ne = 0;
    for (i64 sxy = ip_[x]; sxy < ip_[x + 1]; ++sxy) {
      const i64 y = ix_[sxy];
      const i64 dy = deg_[y];
      const i64 key = ++s.key;
      // C = N(x) & N(y), with the slots (x, w) and (y, w)
      i64 nc = 0;
      for (i64 syw = ip_[y]; syw < ip_[y + 1]; ++syw) {
        const i64 w = ix_[syw];
        s.stamp[w] = key;
        if (s.mark[w] >= 0) {
          s.common[nc] = w;
          s.cxw[nc] = s.mark[w];
          s.cyw[nc] = syw;
          ++nc;
        }
      }
      const i64 txy = t[sxy];
      i64 sum_tyw = 0, sum_txw = 0, sum_s1w = 0, sum_dw2 = 0, sum_triw = 0, sum_tdyw = 0;
      i64 sum_dtxw = 0, sum_a3yw = 0, sum_tyw2 = 0, sum_ttyw = 0, sum_ttxw = 0, sum_ttwx = 0;
      i64 sum_txtyw = 0, sum_k4yw = 0;
      for (i64 i = 0; i < nc; ++i) {
        const i64 w = s.common[i], sxw = s.cxw[i], syw = s.cyw[i];
        sum_tyw += t[syw];
        sum_txw += t[sxw];
        sum_s1w += s1_[w];
        sum_dw2 += deg_[w] * deg_[w];
        sum_triw += tri_[w];
        sum_tdyw += td_[syw];
        sum_dtxw += deg_[w] * t[sxw];
        sum_a3yw += a3_[syw];
        sum_tyw2 += t[syw] * t[syw];
        sum_ttyw += tt_[syw];        // TT(y -> w)
        sum_ttxw += tt_[sxw];        // TT(x -> w)
        sum_ttwx += tt_[rev_[sxw]];  // TT(w -> x)
        sum_txtyw += t[sxw] * t[syw];
        sum_k4yw += k4_[syw];
      }
      // first sweep over N(w), w in C: cnt(u) = |N(u) & C|; e(u) gains the
      // ordered edges (y, w) inside N(x) & N(u)
      i64 nt = 0, g25 = 0, g26 = 0;
      for (i64 i = 0; i < nc; ++i) {
        const i64 w = s.common[i];
        for (i64 swu = ip_[w]; swu < ip_[w + 1]; ++swu) {
          const i64 u = ix_[swu];
          if (s.cnt[u] == 0) s.listc[nt++] = u;
          ++s.cnt[u];
          if (s.stamp[u] == key) {  // u in N(y)
            if (s.erow[u] == 0) s.liste[ne++] = u;
            ++s.erow[u];
            g25 += s.c[u];
            if (s.mark[u] >= 0) g26 += t[swu];  // u in C
          }
        }
      }
      i64 s_all = 0, s_x = 0, s_y = 0;
      for (i64 i = 0; i < nt; ++i) {
        const i64 u = s.listc[i];
        const i64 v = s.cnt[u] * s.cnt[u];
        s_all += v;
        if (s.mark[u] >= 0) s_x += v;
        if (s.stamp[u] == key) s_y += v;
      }
      i64 sum_k = 0, sum_dk = 0, sum_k2 = 0, sum_tyk = 0;
      for (i64 i = 0; i < nc; ++i) {
        const i64 kappa = s.cnt[s.common[i]];
        sum_k += kappa;
        sum_dk += deg_[s.common[i]] * kappa;
        sum_k2 += kappa * kappa;
        sum_tyk += t[s.cyw[i]] * kappa;
      }
      // second sweep: with y as the hub, rim(x, w) gains the edges from
      // N(w) & N(y) into C; for u in C & N(w), the 5-clique minus an edge on
      // x, y, w, u has cnt(w) choices for its fifth node
      for (i64 i = 0; i < nc; ++i) {
        const i64 w = s.common[i];
        const i64 kappa = s.cnt[w];
        i64 rim = 0;
        for (i64 swu = ip_[w]; swu < ip_[w + 1]; ++swu) {
          const i64 u = ix_[swu];
          if (s.stamp[u] != key) continue;
          rim += s.cnt[u];
          if (s.mark[u] >= 0) {
            out[(PerSlot ? s.mark[u] : x) * kColumns + 79] += kappa;
            if (!PerSlot) s.remote[u * kRemote + 2] += kappa;
          }
        }
        out[(PerSlot ? s.cxw[i] : x) * kColumns + 78] += rim;
      }
      for (i64 i = 0; i < nt; ++i) s.cnt[s.listc[i]] = 0;
      // every column that only needs this edge's own statistics
      const i64 txy2 = txy * txy;
      i64* o = out + (PerSlot ? sxy : x) * kColumns;
      o[0] += dx;
      o[1] += dy;
      o[2] += txy;
      o[3] += s1_[y];
      o[4] += dx * dy;
      o[5] += dy * dy;
      o[6] += dx * dx;
      o[7] += a3_[sxy];
      o[8] += 2 * tri_[y];
      o[9] += td_[sxy];
      o[10] += 2 * tri_[x];
      o[11] += txy * dx;
      o[12] += sum_tyw;
      o[13] += txy2;
      o[14] += 2 * k4_[sxy];
      o[15] += w3n_[y];
      o[16] += w3n_[x];
      o[17] += dy * s1_[x];
      o[18] += s2_[y];
      o[19] += dy * s1_[y];
      o[20] += s2_[x];
      o[21] += dx * dx * dy;
      o[22] += dy * dy * dy;
      o[23] += dx * dx * dx;
      o[24] += p1_[y];
      o[25] += dy * td_[sxy];
      o[26] += dx * dy * txy;
      o[27] += 2 * q1_[y];
      o[28] += 2 * q1_[x];
      o[29] += sum_s1w;
      o[30] += 2 * tri_[x] * dy;
      o[31] += txy * s1_[x];
      o[32] += 2 * tri_[y] * dy;
      o[33] += sum_dw2;
      o[34] += 2 * tri_[x] * dx;
      o[35] += txy * dx * dx;
      o[37] += c4h_[y];
      o[39] += dy * a3_[sxy];
      o[40] += c4h_[x];
      o[41] += dg_[y];
      o[42] += dy * sum_tyw;
      o[43] += dy * txy2;
      o[44] += dg_[x];
      o[45] += sum_dtxw;
      o[46] += 2 * sum_triw;
      o[47] += 2 * txy * tri_[x];
      o[48] += dt_[y];
      o[49] += sum_tdyw;
      o[50] += dt_[x];
      o[51] += txy * td_[sxy];
      o[52] += dx * sum_tyw;
      o[55] += sum_a3yw;
      o[56] += txy * a3_[sxy];
      o[58] += sum_tyw2;
      o[59] += txy2 * txy;
      o[60] += 6 * k4n_[y];
      o[61] += sum_dk;
      o[62] += 6 * k4n_[x];
      o[63] += dy * sum_k;
      o[64] += sum_ttyw;
      o[65] += sum_txtyw;
      o[66] += sum_ttxw;
      o[67] += sum_ttwx;
      o[68] += txy * sum_txw;
      o[70] += s_all;
      o[71] += g25;
      o[72] += 2 * sum_k4yw;
      o[73] += g26;
      o[74] += txy * sum_k;
      o[75] += sum_tyk;
      o[76] += s_y;
      o[77] += s_x;
      o[80] += sum_k2;
      o[81] += 6 * k5_[sxy];
    }
    // columns that sum a row over N(y); the row e is complete only now
    for (i64 sxy = ip_[x]; sxy < ip_[x + 1]; ++sxy) {
      const i64 y = ix_[sxy];
      i64 sum_w3 = 0, sum_c2 = 0, sum_dc = 0, sum_ct = 0, sum_e = 0, sum_tc = 0;
      for (i64 syp = ip_[y]; syp < ip_[y + 1]; ++syp) {
        const i64 p = ix_[syp];
        const i64 cp = s.c[p];
        sum_w3 += s.w3[p];
        sum_c2 += cp * cp;
        sum_dc += deg_[p] * cp;
        sum_ct += s.ct[p];
        sum_e += s.erow[p];
        sum_tc += t[syp] * cp;
      }
      i64* o = out + (PerSlot ? sxy : x) * kColumns;
      o[36] += sum_w3;
      o[38] += sum_dc;
      o[53] += sum_c2;
      o[54] += sum_ct;
      o[57] += sum_tc;
      o[69] += sum_e;
      if (!PerSlot) {
        s.remote[y * kRemote + 0] += sum_c2;
        s.remote[y * kRemote + 1] += sum_e;
      }
    }
    for (i64 i = 0; i < n2; ++i) s.c[s.list2[i]] = s.ct[s.list2[i]] = 0;
    for (i64 i = 0; i < n3; ++i) s.w3[s.list3[i]] = 0;
    for (i64 i = 0; i < ne; ++i) s.erow[s.liste[i]] = 0;
    for (i64 e = ip_[x]; e < ip_[x + 1]; ++e) s.mark[ix_[e]] = -1;
  }

  Array indptr_array_, indices_array_;
  const i64* ip_ = nullptr;
  const i64* ix_ = nullptr;
  const i64* rev_ = nullptr;
  i64 n_ = 0, slots_ = 0, max_degree_ = 0;
  bool per_slot_;
  int threads_;
  py::array_t<i64> out_, rev_array_;
  std::vector<i64> deg_, out_ptr_, out_idx_, t_, tri_, s1_, s2_, p1_, dg_, w3n_, q1_;
  std::vector<i64> a3_, td_, tt_, k4_, k5_, c4h_, dt_, k4n_;
  std::vector<std::unique_ptr<Scratch>> scratch_;
};

}  // namespace

void register_counts5(py::module_& m) {
  py::class_<Counts5>(m, "Counts5",
                      "Five-node graphlet counting: the constructor runs the first two passes; columns(u0, u1) "
                      "runs the third on roots u0..u1-1; out holds the 82 rooted homomorphism columns per node "
                      "(or per CSR slot when per_slot), remote() the three columns owed to the far ends.")
      .def(py::init<Array, Array, bool, int>(), py::arg("indptr"), py::arg("indices"), py::arg("per_slot"),
           py::arg("threads"))
      .def("columns", &Counts5::columns, py::arg("u0"), py::arg("u1"))
      .def_property_readonly("out", &Counts5::out)
      .def_property_readonly("reverse_slots", &Counts5::reverse_slots)
      .def("remote", &Counts5::remote);
}
