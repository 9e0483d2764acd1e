#!/usr/bin/env python3
"""fs_baseline: a plain batch Fellegi-Sunter linker, the yardstick issue 16
measures caselink against, run on the same CSV files caselink imports.

    tests/fs_baseline.py ORIGINALS.csv DUPLICATES.csv TRUTH.csv [--p P]

It sees every record at once (caselink links each as it arrives, on blind
keys) and does what a textbook linker does, nothing more:
- fields: given names, family name, date of birth, town and, when the
  files have them, the address's two lines and the postcode; each compared
  at four levels (the same; Jaro-Winkler >= 0.92; >= 0.80; different;
  for the date: the same; one character typed wrong or day and month
  swapped; the same year; different), a missing value as no evidence;
  a date is compared as written, valid or not;
- candidates: the union of one blocking pass per field (Soundex of each
  name, the date, the town's first four letters, the postcode), blocks
  over 400 records skipped;
- u probabilities from 200,000 random pairs; m by expectation-maximisation
  (Splink's way) within two blocking passes, each estimating only the
  fields it did not block on: the same date (names, places) and the same
  Soundex of both names (the date); the prior from the first of them;
- links every candidate pair whose match probability is at least P
  (default 0.9; also printed at 0.5 and 0.99), pairwise and as clusters
  (connected components of the links, which is what a person is).

It prints precision and recall in the form `caselink link evaluate`
does. Standard library only; about a minute for 5,000 records.
"""
import csv
import itertools
import math
import random
import sys
from collections import defaultdict

LEVELS = (0, 1, 2, 3)


def jaro_winkler(a, b):
    if a == b:
        return 1.0
    la, lb = len(a), len(b)
    if not la or not lb:
        return 0.0
    reach = max(la, lb) // 2 - 1
    ma, mb, m = [False] * la, [False] * lb, 0
    for i in range(la):
        for j in range(max(0, i - reach), min(lb, i + reach + 1)):
            if not mb[j] and a[i] == b[j]:
                ma[i] = mb[j] = True
                m += 1
                break
    if not m:
        return 0.0
    t, k = 0, 0
    for i in range(la):
        if ma[i]:
            while not mb[k]:
                k += 1
            t += a[i] != b[k]
            k += 1
    j = (m / la + m / lb + (m - t / 2) / m) / 3
    p = 0
    while p < min(4, la, lb) and a[p] == b[p]:
        p += 1
    return j + p * 0.1 * (1 - j)


SOUNDEX = {c: d for d, cs in (('1', 'bfpv'), ('2', 'cgjkqsxz'), ('3', 'dt'),
                              ('4', 'l'), ('5', 'mn'), ('6', 'r'))
           for c in cs}


def soundex(s):
    s = ''.join(c for c in s.lower() if c.isalpha())
    if not s:
        return ''
    out, last = s[0], SOUNDEX.get(s[0], '')
    for c in s[1:]:
        d = SOUNDEX.get(c, '')
        if d and d != last:
            out += d
        if c not in 'hw':
            last = d
    return (out + '000')[:4]


def one_slip(a, b):
    """One character wrong, or two neighbours transposed."""
    if len(a) != len(b):
        return False
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1 and
                              a[diff[0]] == b[diff[1]] and
                              a[diff[1]] == b[diff[0]])


def cmp_text(a, b):
    if not a or not b:
        return None
    if a == b:
        return 0
    s = jaro_winkler(a, b)
    return 1 if s >= 0.92 else 2 if s >= 0.80 else 3


def cmp_date(a, b):
    if not a or not b:
        return None
    if a == b:
        return 0
    swapped = len(a) == len(b) == 10 and a[:4] == b[:4] and \
        a[5:7] == b[8:10] and a[8:10] == b[5:7]
    if one_slip(a, b) or swapped:
        return 1
    return 2 if a[:4] == b[:4] else 3


def read(paths):
    recs = []
    for path in paths:
        with open(path, newline='') as f:
            rows = csv.reader(f, skipinitialspace=True)
            head = [h.strip() for h in next(rows)]
            for row in rows:
                r = {h: v.strip().lower() for h, v in zip(head, row)}
                recs.append(r)
    return recs, head


def main():
    args = sys.argv[1:]
    p_link = 0.9
    if '--p' in args:
        i = args.index('--p')
        p_link = float(args[i + 1])
        del args[i:i + 2]
    if len(args) != 3:
        sys.exit(__doc__.split('\n\n')[1])
    recs, head = read(args[:2])
    fields = [('given_names', cmp_text), ('family_name', cmp_text),
              ('date_of_birth', cmp_date), ('town', cmp_text)]
    fields += [(h, cmp_text) for h in ('address_line1', 'address_line2',
                                      'postcode') if h in head]
    nf, n = len(fields), len(recs)

    def vec(i, j):
        return tuple(c(recs[i][f], recs[j][f]) for f, c in fields)

    def block(key):
        blocks = defaultdict(list)
        for i, r in enumerate(recs):
            k = key(r)
            if k:
                blocks[k].append(i)
        return [p for b in blocks.values() if len(b) <= 400
                for p in itertools.combinations(b, 2)]

    keys = [lambda r: soundex(r['given_names']),
            lambda r: soundex(r['family_name']),
            lambda r: r['date_of_birth'], lambda r: r['town'][:4]]
    if 'postcode' in head:
        keys.append(lambda r: r['postcode'])
    cand = sorted({p for k in keys for p in block(k)})

    rng = random.Random(1)
    u = [defaultdict(float) for _ in range(nf)]
    for _ in range(200000):
        i, j = rng.randrange(n), rng.randrange(n)
        if i != j:
            for k, lv in enumerate(vec(i, j)):
                if lv is not None:
                    u[k][lv] += 1
    for k in range(nf):
        t = sum(u[k].values())
        u[k] = {lv: max(u[k][lv], 0.5) / t for lv in LEVELS}
    m = [{lv: 0.9 if lv == 0 else 0.1 / 3 for lv in LEVELS}
         for _ in range(nf)]

    def weight(v, mm, lam, only):
        d = math.log(lam / (1 - lam))
        for k in only:
            if v[k] is not None:
                d += math.log(max(mm[k][v[k]], 1e-9) / u[k][v[k]])
        return 1 / (1 + math.exp(-d)) if d > -50 else 0.0

    def em(pairs, only):
        vs, mm, lam = [vec(i, j) for i, j in pairs], [dict(x) for x in m], 0.1
        for _ in range(40):
            w = [weight(v, mm, lam, only) for v in vs]
            lam = min(max(sum(w) / len(w), 1e-6), 1 - 1e-6)
            for k in only:
                acc, tot = defaultdict(float), 0.0
                for v, x in zip(vs, w):
                    if v[k] is not None:
                        acc[v[k]] += x
                        tot += x
                mm[k] = {lv: (acc[lv] + 1e-3) / (tot + 4e-3) for lv in LEVELS}
        return mm, lam

    by_date = block(lambda r: r['date_of_birth'])
    m_a, lam_a = em(by_date, [k for k in range(nf) if k != 2])
    by_names = block(lambda r: soundex(r['given_names']) +
                     soundex(r['family_name'])
                     if r['given_names'] and r['family_name'] else '')
    m_b, _ = em(by_names, [k for k in range(nf) if k not in (0, 1)])
    m = [m_b[k] if k == 2 else m_a[k] for k in range(nf)]
    prior = lam_a * len(by_date) / (n * (n - 1) / 2)
    prob = [weight(vec(i, j), m, prior, range(nf)) for i, j in cand]

    with open(args[2], newline='') as f:
        rows = csv.DictReader(f)
        cluster = {r['local_id'].strip().lower(): r['cluster'] for r in rows}
    truth_of = [cluster.get(r['local_id']) for r in recs]
    members = defaultdict(list)
    for i, c in enumerate(truth_of):
        members[c].append(i)
    n_true = sum(len(b) * (len(b) - 1) // 2 for b in members.values())

    def figures(pairs):
        ok = sum(truth_of[i] == truth_of[j] for i, j in pairs)
        return ok / max(1, len(pairs)), ok / n_true

    print(f'baseline: {n} records, {len(cand)} candidate pairs '
          f'({sum(truth_of[i] == truth_of[j] for i, j in cand) / n_true:.4f}'
          f' of the true pairs), prior {prior:.6f}')
    for p in sorted({0.5, p_link, 0.99}):
        links = [c for c, x in zip(cand, prob) if x >= p]
        parent = list(range(n))

        def find(x):
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x
        for i, j in links:
            parent[find(i)] = find(j)
        comp = defaultdict(list)
        for i in range(n):
            comp[find(i)].append(i)
        closed = [p for b in comp.values()
                  for p in itertools.combinations(b, 2)]
        pp, pr = figures(links)
        cp, cr = figures(closed)
        print(f'baseline p >= {p:<4}  pairwise: precision {pp:.4f}  recall '
              f'{pr:.4f}   as people: precision {cp:.4f}  recall {cr:.4f}')


if __name__ == '__main__':
    main()
