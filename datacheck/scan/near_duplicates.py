"""Near-duplicate images between two sets without comparing every pair, and the bucket join.

The low-frequency 8x8 DCT block of each 16x16 grayscale thumbnail (DC dropped, so a brightness
offset does not count; L2-normalised, so contrast does not either) is a DCT perceptual hash.
Its signs on random hyperplanes (SimHash) give ``TABLES`` band keys of ``BITS`` bits; copies,
which sit within a few degrees of each other, share a key in at least one band, while the
median-thresholded 64-bit pHash puts thousands of look-alike product photos in one bucket.
Candidates are confirmed on the thumbnails' pixels (correlation) and by a ratio test against
the next-closest reference image.

The work is vectorized: sorting keys and gathering candidate pairs, never a Python loop per
sample. Table rows have their own grid search (``near_rows``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from datacheck.scan.parallel import run_blocks

TABLES = 24
BITS = 40
_DCT_BLOCK = 8
_QUERY_CHUNK = 4096
_BITMAP_BITS = 22
_JOIN_BLOCK = 1 << 17
_PAIR_CHUNK = 65536
_RERANK = 16
_RERANK_CHUNK = 512
_BLOCK = 64


def bucket_join(sorted_keys: np.ndarray, order: np.ndarray, query_keys: np.ndarray,
                cap: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (query, reference) whose keys are equal.

    Queries are first screened against a bitmap of the reference keys' buckets, so that the
    binary searches run only for the few queries whose key may be present.

    Parameters
    ----------
    sorted_keys : numpy.ndarray
        Reference keys (uint64), sorted.
    order : numpy.ndarray
        Reference index of each sorted key (``argsort`` of the unsorted keys).
    query_keys : numpy.ndarray
        One uint64 key per query.
    cap : int, optional
        Keep at most this many references per query (a bucket of near-identical samples would
        otherwise make the join quadratic).

    Returns
    -------
    query_index, ref_index : numpy.ndarray
        int64, one entry per pair.
    """
    present = np.zeros(1 << _BITMAP_BITS, bool)
    present[_bucket(sorted_keys)] = True
    starts = list(range(0, len(query_keys), _JOIN_BLOCK))
    found: list = [None] * len(starts)

    def probe(i: int) -> None:
        block = query_keys[starts[i]:starts[i] + _JOIN_BLOCK]
        maybe = np.flatnonzero(present[_bucket(block)])
        # Sorted needles walk the reference keys in order (cache-friendly binary searches).
        maybe = maybe[np.argsort(block[maybe])]
        lo = np.searchsorted(sorted_keys, block[maybe], "left")
        found[i] = (maybe + starts[i], lo, np.searchsorted(sorted_keys, block[maybe], "right") - lo)

    run_blocks(probe, range(len(starts)))
    if not found:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    maybe, lo, count = (np.concatenate(parts) for parts in zip(*found))
    if cap is not None:
        count = np.minimum(count, cap)
    total = int(count.sum())
    qi = np.repeat(maybe.astype(np.int64), count)
    offset = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(count) - count, count)
    return qi, order[np.repeat(lo, count) + offset].astype(np.int64)


def _bucket(keys: np.ndarray) -> np.ndarray:
    """A ``_BITMAP_BITS``-bit bucket of each key (multiplicative hashing of its bits)."""
    with np.errstate(over="ignore"):
        mixed = keys * np.uint64(0x9E3779B97F4A7C15)
    return (mixed >> np.uint64(64 - _BITMAP_BITS)).view(np.int64)


@dataclass(frozen=True)
class Matches:
    """Best reference match of each matched query sample.

    Parameters
    ----------
    query, ref : numpy.ndarray
        int64 indices into the query and reference sets, one pair per matched query.
    score : numpy.ndarray
        Similarity of the pair (images: thumbnail correlation) or distance (rows: the largest
        standardized difference over features).
    """

    query: np.ndarray
    ref: np.ndarray
    score: np.ndarray

    @classmethod
    def empty(cls) -> "Matches":
        """No matches."""
        z = np.zeros(0, np.int64)
        return cls(z, z.copy(), np.zeros(0))

    def __len__(self) -> int:
        return int(len(self.query))


# ------------------------------------------------------------------------------------ images

def _dct_matrix(n: int) -> np.ndarray:
    k = np.arange(n)[:, None]
    m = np.cos(np.pi * (2 * np.arange(n)[None, :] + 1) * k / (2 * n)) * np.sqrt(2.0 / n)
    m[0] /= np.sqrt(2.0)
    return m.astype(np.float32)


def thumb_vectors(thumbs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Thumbnails as zero-mean unit-norm pixel vectors, and which of them are not flat.

    Parameters
    ----------
    thumbs : numpy.ndarray
        uint8 (n, h, w) grayscale thumbnails.

    Returns
    -------
    vectors : numpy.ndarray
        float32 (n, h*w); the dot product of two rows is their pixel correlation.
    textured : numpy.ndarray
        bool (n,): False for a flat thumbnail, whose correlation means nothing.
    """
    v = thumbs.reshape(len(thumbs), -1).astype(np.float32)
    v -= v.mean(axis=1, keepdims=True)
    norm = np.linalg.norm(v, axis=1)
    textured = norm > 1e-3 * np.sqrt(v.shape[1])
    v /= np.where(textured, norm, 1.0)[:, None]
    return v, textured


def dct_signature(thumbs: np.ndarray) -> np.ndarray:
    """The DCT perceptual hash before thresholding: low-frequency coefficients, DC dropped.

    Parameters
    ----------
    thumbs : numpy.ndarray
        uint8 (n, h, w) grayscale thumbnails.

    Returns
    -------
    numpy.ndarray
        float32 (n, 63), L2-normalised rows (a flat thumbnail gives a zero row).
    """
    d_h, d_w = _dct_matrix(thumbs.shape[1]), _dct_matrix(thumbs.shape[2])
    coef = d_h[:_DCT_BLOCK] @ thumbs.astype(np.float32) @ d_w[:_DCT_BLOCK].T
    sig = coef.reshape(len(thumbs), -1)[:, 1:]
    norm = np.linalg.norm(sig, axis=1, keepdims=True)
    return sig / np.where(norm > 0, norm, 1.0)


def _band_keys(sig: np.ndarray, planes: np.ndarray) -> np.ndarray:
    """SimHash band keys: (n, TABLES) uint64, BITS sign bits per band."""
    bits = (sig @ planes > 0).reshape(len(sig), TABLES, BITS)
    packed = np.packbits(bits, axis=2, bitorder="little")
    padded = np.zeros((len(sig), TABLES, 8), np.uint8)
    padded[:, :, :packed.shape[2]] = packed
    return padded.view(np.uint64)[:, :, 0]


def _lsh_top2(orders: list[np.ndarray], sorted_keys: list[np.ndarray], ref_vectors: np.ndarray,
              ref_content: np.ndarray, q_keys: np.ndarray,
              q_vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Best and runner-up correlation among the references sharing a band key with each query.

    The runner-up skips exact copies of the best. Both are lower bounds of the exact values.

    Parameters
    ----------
    orders, sorted_keys : list of numpy.ndarray
        Per band: the usable references in key order, and their keys.

    Returns
    -------
    s1, s2 : numpy.ndarray
        Thumbnail correlations, -inf where no candidate was found.
    """
    n_ref, n_q = len(ref_vectors), len(q_keys)
    s1 = np.full(n_q, -np.inf)
    s2 = np.full(n_q, -np.inf)
    for start in range(0, n_q, _QUERY_CHUNK):
        stop = min(start + _QUERY_CHUNK, n_q)
        parts = [bucket_join(sorted_keys[b], orders[b], q_keys[start:stop, b], cap=64)
                 for b in range(TABLES)]
        pid = _distinct(np.concatenate([qi * n_ref + ri for qi, ri in parts]))
        if not len(pid):
            continue
        qi, ri = pid // n_ref, pid % n_ref
        sim = _pair_dots(q_vectors[start:stop], ref_vectors, qi, ri)
        order = np.lexsort((-sim, qi))
        qi, ri, sim = qi[order], ri[order], sim[order]
        first = np.flatnonzero(np.r_[True, qi[1:] != qi[:-1]])
        s1[start + qi[first]] = sim[first]
        best_of = np.repeat(ri[first], np.diff(np.r_[first, len(qi)]))
        other = ref_content[ri] != ref_content[best_of]
        q_other = qi[other]
        firsts = np.r_[True, q_other[1:] != q_other[:-1]] if len(q_other) else np.zeros(0, bool)
        s2[start + q_other[firsts]] = sim[other][firsts]
    return s1, s2


def _top_k(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Column indices of the ``k`` largest scores per row, and which of them are real.

    Columns are dealt into blocks (block j holds columns j, j + nb, j + 2 nb...); the top k
    values lie in at most k blocks, so the partial sort runs on the k best blocks only and the
    full-width pass is an elementwise maximum.
    """
    n_q, n = scores.shape
    nb = n // _BLOCK
    tail = n - nb * _BLOCK
    bmax = np.empty((n_q, nb + (tail > 0)), scores.dtype)
    bmax[:, :nb] = scores[:, :nb * _BLOCK].reshape(n_q, _BLOCK, nb).max(axis=1)
    if tail:
        bmax[:, nb] = scores[:, nb * _BLOCK:].max(axis=1)
    kb = min(k, bmax.shape[1])
    blocks = np.argpartition(-bmax, kb - 1, axis=1)[:, :kb, None]
    step = np.arange(_BLOCK)
    idx = np.where(blocks < nb, blocks + nb * step, nb * _BLOCK + step).reshape(n_q, -1)
    real = idx < n
    idx = np.minimum(idx, n - 1)
    vals = np.where(real, np.take_along_axis(scores, idx, 1), -np.inf)
    kk = min(k, idx.shape[1])
    part = np.argpartition(-vals, kk - 1, axis=1)[:, :kk]
    return np.take_along_axis(idx, part, 1), np.isfinite(np.take_along_axis(vals, part, 1))


def _rerank(q_sig: np.ndarray, q_vectors: np.ndarray, ref_sig: np.ndarray,
            ref_vectors: np.ndarray, ref_usable: np.ndarray, ref_content: np.ndarray,
            q_content: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact best and runner-up references of a few queries.

    Every reference is scored on the low-frequency signature (one matrix product per chunk);
    the ``_RERANK`` best are scored on pixels. The runner-up is the best reference whose
    content differs from the best one's, so exact copies inside the reference set are not
    counted as rivals.

    Parameters
    ----------
    q_content : numpy.ndarray, optional
        Content hash per query; references with the same content are skipped (the query
        itself when it belongs to the reference set, and its copies).

    Returns
    -------
    best : numpy.ndarray
        int64 reference index per query.
    s1, s2 : numpy.ndarray
        Correlation with the best and with the runner-up (-inf where none).
    """
    n_q = len(q_sig)
    best = np.full(n_q, -1, np.int64)
    s1 = np.full(n_q, -np.inf)
    s2 = np.full(n_q, -np.inf)
    if not ref_usable.any():
        return best, s1, s2
    for start in range(0, n_q, _RERANK_CHUNK):
        stop = min(start + _RERANK_CHUNK, n_q)
        top, real = _top_k(q_sig[start:stop] @ ref_sig.T, _RERANK)
        rows = np.repeat(np.arange(stop - start), top.shape[1])
        sim = _pair_dots(q_vectors[start:stop], ref_vectors, rows, top.ravel()).reshape(top.shape)
        sim[~(real & ref_usable[top])] = -np.inf
        if q_content is not None:
            sim[ref_content[top] == q_content[start:stop, None]] = -np.inf
        order = np.argsort(-sim, axis=1)
        top = np.take_along_axis(top, order, 1)
        sim = np.take_along_axis(sim, order, 1)
        best[start:stop] = np.where(np.isfinite(sim[:, 0]), top[:, 0], -1)
        s1[start:stop] = sim[:, 0]
        s2[start:stop] = np.where(ref_content[top] != ref_content[top[:, :1]], sim, -np.inf).max(axis=1)
    return best, s1, s2


def _distinct(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values (a sort beats numpy's hash-based ``unique`` on pair ids)."""
    values = np.sort(values)
    return values[np.r_[True, values[1:] != values[:-1]]] if len(values) else values


def _pair_dots(a: np.ndarray, b: np.ndarray, ia: np.ndarray, ib: np.ndarray) -> np.ndarray:
    """Row-wise dot products a[ia] . b[ib], gathered in bounded chunks."""
    out = np.empty(len(ia), np.float64)
    for s in range(0, len(ia), _PAIR_CHUNK):
        out[s:s + _PAIR_CHUNK] = np.einsum("ij,ij->i", a[ia[s:s + _PAIR_CHUNK]], b[ib[s:s + _PAIR_CHUNK]])
    return out




@dataclass(frozen=True)
class _References:
    """The reference side of an image search, built once for the upright and mirrored queries."""

    usable: np.ndarray
    vectors: np.ndarray
    sig: np.ndarray          # signatures, zero rows where not usable
    content: np.ndarray
    centre: np.ndarray
    planes: np.ndarray
    orders: list
    sorted_keys: list

    @classmethod
    def build(cls, thumbs: np.ndarray, ok: np.ndarray, content: np.ndarray, query_sig: np.ndarray,
              seed: int) -> "_References":
        sig = dct_signature(thumbs)
        vectors, textured = thumb_vectors(thumbs)
        usable = ok & textured
        # Centre the signatures on the joint mean: in a homogeneous collection they all point
        # the same way, and uncentred hyperplanes would put everything in a few buckets.
        centre = (sig.sum(axis=0) + query_sig.sum(axis=0)) / (len(sig) + len(query_sig))
        planes = np.random.default_rng(seed).standard_normal((sig.shape[1], TABLES * BITS))
        planes = planes.astype(np.float32)
        keys = _band_keys(sig - centre, planes)
        idx = np.flatnonzero(usable)
        orders = [idx[np.argsort(keys[idx, b], kind="stable")] for b in range(TABLES)]
        return cls(usable, vectors, np.where(usable[:, None], sig, 0.0).astype(np.float32), content,
                   centre, planes, orders, [keys[o, b] for b, o in enumerate(orders)])


def _match_side(refs: _References, thumbs: np.ndarray, ok: np.ndarray, min_similarity: float,
                margin: float) -> Matches:
    """Queries (thumbnails as given) whose best reference passes the similarity and ratio tests."""
    sig_q = dct_signature(thumbs)
    q_vectors, q_textured = thumb_vectors(thumbs)
    queries = np.flatnonzero(ok & q_textured)
    s1, s2 = _lsh_top2(refs.orders, refs.sorted_keys, refs.vectors, refs.content,
                       _band_keys(sig_q[queries] - refs.centre, refs.planes), q_vectors[queries])
    # A look-alike found by the bands already fails the ratio test (the exact values can only
    # make the runner-up closer), so only the remaining queries are re-ranked exactly.
    cand = queries[(s1 >= min_similarity) & ((1.0 - s1) <= margin * (1.0 - s2))]
    if not len(cand):
        return Matches.empty()
    best, s1, s2 = _rerank(sig_q[cand], q_vectors[cand], refs.sig, refs.vectors, refs.usable, refs.content)
    # The rival of a pair is the closer of the query's and the reference's own runner-up;
    # the query's side is known now and already rules out most look-alikes.
    hit = (s1 >= min_similarity) & ((1.0 - s1) <= margin * (1.0 - s2))
    cand, best, s1 = cand[hit], best[hit], s1[hit]
    ref_ids = np.unique(best)
    _, own, _ = _rerank(refs.sig[ref_ids], refs.vectors[ref_ids], refs.sig, refs.vectors, refs.usable,
                        refs.content, q_content=refs.content[ref_ids])
    keep = (1.0 - s1) <= margin * (1.0 - own[np.searchsorted(ref_ids, best)])
    return Matches(cand[keep].astype(np.int64), best[keep], s1[keep])


def match_images(ref_thumbs: np.ndarray, ref_ok: np.ndarray, ref_hash: np.ndarray,
                 query_thumbs: np.ndarray, query_ok: np.ndarray, *, min_similarity: float,
                 margin: float, seed: int = 0) -> Matches:
    """Query images that may be near copies of a reference image, upright or mirrored.

    A query matches its most correlated reference thumbnail when the correlation is at least
    ``min_similarity`` and the pair is distinctly closer than natural look-alikes: its
    dissimilarity ``1 - r`` is at most ``margin`` times that of the next-closest reference
    to either image of the pair. Collections of similar images (product shots, digits) have
    many neighbours at r = 0.98; a re-encoded copy stands apart from them. The query's
    mirror image is searched too (an augmentation saved before splitting); the better of the
    two matches is kept.

    The band keys find candidates in time linear in the number of images; only queries whose
    best candidate reaches ``min_similarity`` are re-ranked exactly against every reference,
    so that a look-alike the bands missed cannot make a natural pair look distinct. These are
    candidates: at 16x16 pixels, look-alikes remain; ``full_resolution`` confirms them.

    Parameters
    ----------
    ref_thumbs, query_thumbs : numpy.ndarray
        uint8 (n, 16, 16) grayscale thumbnails.
    ref_ok, query_ok : numpy.ndarray
        bool, which samples to consider (decoded, not already matched exactly).
    ref_hash : numpy.ndarray
        uint64 content hash of the references.
    min_similarity : float
        Minimum thumbnail correlation.
    margin : float
        Ratio-test bound in (0, 1].
    seed : int
        Seed of the random hyperplanes.

    Returns
    -------
    Matches
        ``score`` is the thumbnail correlation (of the mirrored query where that matched).
    """
    if not len(ref_thumbs) or not len(query_thumbs):
        return Matches.empty()
    refs = _References.build(ref_thumbs, ref_ok, ref_hash, dct_signature(query_thumbs), seed)
    upright = _match_side(refs, query_thumbs, query_ok, min_similarity, margin)
    mirrored = _match_side(refs, np.ascontiguousarray(query_thumbs[:, :, ::-1]), query_ok,
                           min_similarity, margin)
    query = np.concatenate([upright.query, mirrored.query])
    ref = np.concatenate([upright.ref, mirrored.ref])
    score = np.concatenate([upright.score, mirrored.score])
    # One match per query: the better orientation.
    order = np.lexsort((-score, query))
    first = order[np.r_[True, query[order][1:] != query[order][:-1]]] if len(order) else order
    return Matches(query[first], ref[first], score[first])
