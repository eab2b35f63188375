"""A slow, obvious interpolated modified Kneser-Ney, straight from the formulas, with dicts.

Used only by the tests as an independent reference for counting.py + kneser_ney.py +
ngram_model.py. Sentences are lists of token ids; 0 = <unk>, 1 = <s>, 2 = </s>.
"""

from collections import Counter, defaultdict

BOS, EOS = 1, 2


def windows(sentences, order):
    """Every window of 1..order tokens inside `<s> sentence </s>`, with its number of occurrences."""
    counts = Counter()
    for s in sentences:
        toks = [BOS] + list(s) + [EOS]
        for n in range(1, order + 1):
            for i in range(len(toks) - n + 1):
                counts[tuple(toks[i : i + n])] += 1
    return counts


class ReferenceKN:
    def __init__(self, sentences, order, vocab_size):
        self.order, self.V = order, vocab_size
        raw = windows(sentences, order)
        left = defaultdict(set)
        for g in raw:
            if len(g) >= 2:
                left[g[1:]].add(g[0])
        self.a = {}
        for g, c in raw.items():
            if len(g) == order or g[0] == BOS:
                self.a[g] = c
            else:
                self.a[g] = len(left[g])
        self.a[(BOS,)] = 0
        self.D = {}
        for n in range(1, order + 1):
            t = Counter(min(c, 5) for g, c in self.a.items() if len(g) == n and c > 0)
            try:
                y = t[1] / (t[1] + 2 * t[2])
                d = [j - (j + 1) * y * t[j + 1] / t[j] for j in (1, 2, 3)]
                if any(not 0 <= dj <= j for j, dj in zip((1, 2, 3), d)):
                    raise ZeroDivisionError
            except ZeroDivisionError:
                d = [0.5, 1.0, 1.5]
            self.D[n] = [0.0] + d
        self.children = defaultdict(list)
        for g, c in self.a.items():
            if len(g) >= 2:
                self.children[g[:-1]].append(c)

    def disc(self, n, c):
        return self.D[n][min(c, 3)]

    def prob(self, w, h):
        """p(w | h) by the interpolated recursion; h is a tuple of at most order-1 tokens."""
        if w == BOS:
            return 0.0
        if not h:
            total = sum(c for g, c in self.a.items() if len(g) == 1)
            gamma = sum(self.disc(1, c) for g, c in self.a.items() if len(g) == 1 and c > 0) / total
            c = self.a.get((w,), 0)
            return (c - self.disc(1, c)) / total + gamma / (self.V - 1)
        kids = self.children.get(h)
        lower = self.prob(w, h[1:])
        if not kids or h[-1] in (0, EOS):
            return lower
        n = len(h) + 1
        s = sum(kids)
        gamma = sum(self.disc(n, c) for c in kids if c > 0) / s
        c = self.a.get(h + (w,), 0)
        return (c - self.disc(n, c)) / s + gamma * lower

    def distribution(self, context):
        h = tuple(context)[-(self.order - 1):] if self.order > 1 else ()
        return [self.prob(w, h) for w in range(self.V)]
