/**
 * Both benchmark distributions of a sandbox comparison, sample by sample: one row of dots per side on a
 * shared axis, each side's median marked, with the verdict and the statistics that decided it.
 */
import type { BenchmarkSummary } from '../../../shared/model/sandbox';

const WIDTH = 360;
const ROW = 26;
const PAD = 44;

function median(values: ReadonlyArray<number>): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function formatFigure(value: number, source: BenchmarkSummary['source']): string {
  return source === 'duration' ? `${value.toFixed(0)} ms` : value.toPrecision(3);
}

const OUTCOME_TEXT: Record<BenchmarkSummary['outcome'], string> = {
  regression: 'significant regression',
  'no-regression': 'no regression',
  inconclusive: 'inconclusive (too noisy to decide; never a regression)',
  'not-compared': 'not compared',
};

/** The benchmark samples of both sides as a strip chart, with the verdict. */
export function BenchmarkChart({ summary }: { readonly summary: BenchmarkSummary }) {
  const base = summary.samples.map((s) => s.base);
  const head = summary.samples.map((s) => s.head);
  const all = [...base, ...head];
  const min = all.length > 0 ? Math.min(...all) : 0;
  const max = all.length > 0 ? Math.max(...all) : 1;
  const span = max - min || 1;
  const x = (value: number): number => PAD + ((value - min) / span) * (WIDTH - PAD - 8);
  const rows = [
    { side: 'base', values: base },
    { side: 'head', values: head },
  ] as const;
  return (
    <figure className="benchmark-chart" data-testid="benchmark-chart" data-outcome={summary.outcome} data-samples={summary.samples.length}>
      <figcaption className="small">
        Benchmark: <strong data-testid="benchmark-outcome">{OUTCOME_TEXT[summary.outcome]}</strong>
        {summary.pValue !== null && ` — one-sided Wilcoxon p = ${summary.pValue.toPrecision(2)} (needs < ${summary.significance})`}
        {summary.change !== null && `, median ratio ${(summary.change + 1).toFixed(3)} (minimum effect ${(summary.minEffect * 100).toFixed(0)} %)`}
        {`, ${summary.samples.length} pairs`}
      </figcaption>
      {all.length > 0 && (
        <svg
          width={WIDTH}
          height={ROW * 2 + 18}
          viewBox={`0 0 ${WIDTH} ${ROW * 2 + 18}`}
          role="img"
          aria-label={`base and head benchmark samples, ${summary.samples.length} pairs`}
        >
          {rows.map((row, index) => {
            const y = ROW * index + ROW / 2;
            const mid = row.values.length > 0 ? median(row.values) : null;
            return (
              <g key={row.side} data-side={row.side}>
                <text x={0} y={y + 4} fontSize={11} fill="currentColor">
                  {row.side}
                </text>
                <line x1={PAD} x2={WIDTH - 8} y1={y} y2={y} stroke="currentColor" strokeOpacity={0.2} />
                {row.values.map((value, i) => (
                  <circle key={i} cx={x(value)} cy={y} r={3} fill={row.side === 'base' ? '#4a7bd0' : '#d0704a'} fillOpacity={0.6}>
                    <title>{`${row.side} pair ${i + 1}: ${formatFigure(value, summary.source)}`}</title>
                  </circle>
                ))}
                {mid !== null && <line x1={x(mid)} x2={x(mid)} y1={y - 9} y2={y + 9} stroke="currentColor" strokeWidth={2} />}
              </g>
            );
          })}
          <text x={PAD} y={ROW * 2 + 14} fontSize={10} fill="currentColor">
            {formatFigure(min, summary.source)}
          </text>
          <text x={WIDTH - 8} y={ROW * 2 + 14} fontSize={10} fill="currentColor" textAnchor="end">
            {formatFigure(max, summary.source)}
          </text>
        </svg>
      )}
      <p className="muted small">{summary.note}</p>
    </figure>
  );
}
