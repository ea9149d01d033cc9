import { readFileSync } from 'node:fs';
import { pairedVerdict, slowdownPValue, median } from '../../electron/services/sandbox/benchmark';
const lines = readFileSync('/tmp/rb/pool.txt', 'utf8').trim().split('\n').map((l) => l.split(' '));
const A = lines.filter((l) => l[0] === 'A').map((l) => Number(l[1]));
const B = lines.filter((l) => l[0] === 'B').map((l) => Number(l[1]));
const pick = (xs: number[]) => xs[Math.floor(Math.random() * xs.length)] as number;
function design(slow: boolean, min: number, max: number, alpha: number, earlyAlpha: number, futility: (b: number[], h: number[]) => boolean) {
  const b: number[] = [], h: number[] = [];
  for (let n = 1; n <= max; n++) {
    b.push(pick(A)); h.push(pick(slow ? B : A));
    if (n < min) continue;
    const ratio = median(b.map((x, i) => h[i]! / x)) - 1;
    const p = slowdownPValue(b, h);
    if (n === min && p < earlyAlpha && ratio > 0.1) return { out: 'regression', n };
    if (futility(b, h)) return { out: 'no', n };
    if (n === max) return { out: p < alpha && ratio > 0.1 ? 'regression' : ratio > 0.1 ? 'inconclusive' : 'no', n };
  }
  throw new Error();
}
import wilcoxon from '@stdlib/stats-wilcoxon';
function withinP(b: number[], h: number[]) { const d = b.map((x, i) => Math.log(h[i]! / x) - Math.log(1.1)); return wilcoxon(d, { alternative: 'less' }).pValue; }
const N = 2000;
for (const [min, max] of [[10, 40], [10, 60], [10, 80]] as const) {
  for (const [name, fut] of [
    ['ratio<=1', (b: number[], h: number[]) => median(b.map((x, i) => h[i]! / x)) <= 1],
    ['within-effect p<0.05', (b: number[], h: number[]) => withinP(b, h) < 0.05],
    ['within-effect p<0.1', (b: number[], h: number[]) => withinP(b, h) < 0.1],
    
    
  ] as const) {
    let fp = 0, inc0 = 0, n0 = 0, tp = 0, n1 = 0;
    for (let i = 0; i < N; i++) {
      const r0 = design(false, min, max, 0.009, 0.001, fut); if (r0.out === 'regression') fp++; if (r0.out === 'inconclusive') inc0++; n0 += r0.n;
      const r1 = design(true, min, max, 0.009, 0.001, fut); if (r1.out === 'regression') tp++; n1 += r1.n;
    }
    console.log(min, max, name, 'FP', (fp / N * 100).toFixed(2), 'inc0', (inc0 / N * 100).toFixed(1), 'avgN0', (n0 / N).toFixed(1), 'TP', (tp / N * 100).toFixed(1), 'avgN1', (n1 / N).toFixed(1));
  }
}
