/**
 * The demo's agent traces, written for this project: a two-turn support chat with tool calls, a RAG
 * answer, a code-review agent, a failed refund (an ERROR trace), a plan-and-execute agent, and a few
 * more so that a 0.5 sample has something to choose from. Every call gives fresh ids and timestamps
 * just before `now`, and tags every trace with the demo run's own tag, so re-runs never collide.
 */
import { randomUUID } from 'node:crypto';

export interface DemoSpan {
  span_id: string;
  parent_span_id?: string | null;
  name: string;
  kind: 'AGENT' | 'TOOL' | 'LLM' | 'RETRIEVER' | 'CHAIN' | 'EMBEDDING' | 'OTHER';
  status: 'OK' | 'ERROR' | 'UNSET';
  started_at: string;
  ended_at: string;
  input?: unknown;
  output?: unknown;
  model?: string;
  token_usage?: Record<string, number>;
  cost?: Record<string, number>;
  error?: string;
  metadata?: Record<string, unknown>;
}

export interface DemoTrace {
  trace_id: string;
  name: string;
  status: 'COMPLETED' | 'ERROR';
  started_at: string;
  ended_at: string;
  session_id?: string;
  user_id?: string;
  tags: string[];
  environment: string;
  release?: string;
  metadata?: Record<string, unknown>;
  input: unknown;
  output: unknown;
  spans: DemoSpan[];
}

/** A builder that lays spans out on a timeline starting at `start` (ms offsets). */
function timeline(start: number) {
  const iso = (ms: number) => new Date(start + ms).toISOString();
  return {
    iso,
    span(
      parent: string | null,
      name: string,
      kind: DemoSpan['kind'],
      from: number,
      to: number,
      io: Partial<Omit<DemoSpan, 'span_id' | 'name' | 'kind' | 'started_at' | 'ended_at'>> = {},
    ): DemoSpan {
      return {
        span_id: randomUUID(),
        parent_span_id: parent,
        name,
        kind,
        status: 'OK',
        started_at: iso(from),
        ended_at: iso(to),
        ...io,
      };
    },
  };
}

const llm = (model: string, prompt: number, completion: number, usdPerMTokIn: number, usdPerMTokOut: number) => ({
  model,
  token_usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
  cost: {
    input: (prompt * usdPerMTokIn) / 1e6,
    output: (completion * usdPerMTokOut) / 1e6,
    total: (prompt * usdPerMTokIn + completion * usdPerMTokOut) / 1e6,
  },
});
const mini = (p: number, c: number) => llm('gpt-4o-mini', p, c, 0.15, 0.6);
const big = (p: number, c: number) => llm('gpt-4o', p, c, 2.5, 10);

export function demoTraces(runTag: string, now = Date.now()): DemoTrace[] {
  const traces: DemoTrace[] = [];
  const minutesAgo = (m: number) => now - m * 60_000;
  const base = (name: string, start: number, durationMs: number, extra: Partial<DemoTrace>): DemoTrace => ({
    trace_id: randomUUID(),
    name,
    status: 'COMPLETED',
    started_at: new Date(start).toISOString(),
    ended_at: new Date(start + durationMs).toISOString(),
    tags: ['demo', runTag],
    environment: 'production',
    release: 'support-bot@3.2.0',
    input: null,
    output: null,
    spans: [],
    ...extra,
  });
  const supportSession = `sess-${runTag}-maria`;

  // 1. Support chat, turn 1: a broken product, order lookup and warranty check.
  {
    const start = minutesAgo(42);
    const t = timeline(start);
    const agent = t.span(null, 'support-agent', 'AGENT', 0, 4100, {
      input: 'My Lumen X2 headphones stopped charging after three weeks. Order A-48213.',
    });
    const q = 'My Lumen X2 headphones stopped charging after three weeks. Order A-48213.';
    const answer =
      'Sorry about that, Maria. Order A-48213 (Lumen X2, delivered 21 days ago) is covered by our 12-month warranty. ' +
      'I can ship a replacement today at no cost, or refund you in full. Which do you prefer?';
    agent.output = answer;
    traces.push(
      base('support-chat', start, 4200, {
        session_id: supportSession,
        user_id: 'maria.k@example.com',
        tags: ['demo', runTag, 'support', 'tools'],
        metadata: { channel: 'web-widget', locale: 'en-GB' },
        input: { messages: [{ role: 'user', content: q }] },
        output: { messages: [{ role: 'assistant', content: answer }] },
        spans: [
          agent,
          t.span(agent.span_id, 'plan-next-action', 'LLM', 50, 900, {
            ...mini(612, 48),
            input: {
              messages: [
                { role: 'system', content: 'You are Lumen support. Use tools before answering.' },
                { role: 'user', content: q },
              ],
            },
            output: { tool_calls: [{ name: 'get_order', arguments: { order_id: 'A-48213' } }] },
          }),
          t.span(agent.span_id, 'get_order', 'TOOL', 910, 1180, {
            input: { order_id: 'A-48213' },
            output: {
              order_id: 'A-48213',
              item: 'Lumen X2 wireless headphones',
              delivered_at: '21 days ago',
              status: 'DELIVERED',
              customer: 'Maria K.',
            },
          }),
          t.span(agent.span_id, 'check_warranty', 'TOOL', 1190, 1400, {
            input: { sku: 'LX2-BLK', purchased_days_ago: 21 },
            output: { covered: true, policy: '12-month limited warranty', options: ['replacement', 'refund'] },
          }),
          t.span(agent.span_id, 'compose-reply', 'LLM', 1410, 4050, {
            ...mini(1034, 71),
            input: 'order + warranty facts',
            output: answer,
          }),
        ],
      }),
    );
  }

  // 2. Support chat, turn 2 (same session): address change and RMA creation.
  {
    const start = minutesAgo(40);
    const t = timeline(start);
    const q = 'Replacement please. Send it to my new address: 12 Rue Oberkampf, 75011 Paris.';
    const answer =
      'Done: replacement RMA-99120 ships today to 12 Rue Oberkampf, 75011 Paris. A prepaid return label is in your email.';
    const agent = t.span(null, 'support-agent', 'AGENT', 0, 3600, { input: q, output: answer });
    traces.push(
      base('support-chat', start, 3700, {
        session_id: supportSession,
        user_id: 'maria.k@example.com',
        tags: ['demo', runTag, 'support', 'tools'],
        metadata: { channel: 'web-widget', locale: 'en-GB', turn: 2 },
        input: { messages: [{ role: 'user', content: q }] },
        output: { messages: [{ role: 'assistant', content: answer }] },
        spans: [
          agent,
          t.span(agent.span_id, 'update_shipping_address', 'TOOL', 300, 700, {
            input: {
              order_id: 'A-48213',
              address: { line1: '12 Rue Oberkampf', postcode: '75011', city: 'Paris', country: 'FR' },
            },
            output: { ok: true },
          }),
          t.span(agent.span_id, 'create_rma', 'TOOL', 710, 1300, {
            input: { order_id: 'A-48213', reason: 'does not charge', resolution: 'replacement' },
            output: { rma_id: 'RMA-99120', label_url: 'https://returns.example.com/RMA-99120.pdf' },
          }),
          t.span(agent.span_id, 'compose-reply', 'LLM', 1310, 3550, {
            ...mini(1212, 44),
            input: 'rma + address',
            output: answer,
          }),
        ],
      }),
    );
  }

  // 3. RAG: an HR policy question answered from retrieved chunks, with citations.
  {
    const start = minutesAgo(35);
    const t = timeline(start);
    const q = 'Do contractors in Germany get paid parental leave?';
    const answer =
      'No. Contractors are not employees, so the company parental-leave policy (16 weeks paid) does not apply to them [1]. ' +
      'In Germany, self-employed people may claim Elterngeld from the state [2]. Your contract manager can confirm the terms of your agreement [3].';
    const chain = t.span(null, 'hr-answer-pipeline', 'CHAIN', 0, 2900, { input: q, output: answer });
    traces.push(
      base('hr-policy-rag', start, 3000, {
        user_id: 'jonas.w@example.com',
        session_id: `sess-${runTag}-jonas`,
        tags: ['demo', runTag, 'rag'],
        release: 'hr-assistant@1.8.4',
        input: q,
        output: answer,
        spans: [
          chain,
          t.span(chain.span_id, 'embed-query', 'EMBEDDING', 10, 120, {
            model: 'text-embedding-3-small',
            input: q,
            output: { dimensions: 1536 },
          }),
          t.span(chain.span_id, 'vector-search', 'RETRIEVER', 130, 420, {
            input: { query: q, top_k: 3, index: 'hr-policies-2026' },
            output: [
              {
                doc: 'parental-leave-policy.md#eligibility',
                score: 0.89,
                text: 'Applies to permanent and fixed-term employees after 6 months of service...',
              },
              {
                doc: 'germany/benefits-faq.md#elterngeld',
                score: 0.84,
                text: 'Self-employed parents can apply for Elterngeld through their local office...',
              },
              {
                doc: 'contractor-handbook.md#benefits',
                score: 0.77,
                text: 'Contractors are engaged under service agreements and are not enrolled in...',
              },
            ],
          }),
          t.span(chain.span_id, 'answer-with-citations', 'LLM', 430, 2880, {
            ...big(1480, 96),
            input: 'question + 3 chunks',
            output: answer,
          }),
        ],
      }),
    );
  }

  // 4. Code review agent: fetches a PR, runs static analysis, posts review comments.
  {
    const start = minutesAgo(30);
    const t = timeline(start);
    const review =
      'Requesting changes: `reports/export.py` builds SQL with an f-string from `request.args["customer"]` (SQL injection, line 42). ' +
      'Use a bound parameter. Also: the new CSV writer never closes its file handle (line 58).';
    const agent = t.span(null, 'code-review-agent', 'AGENT', 0, 9600, {
      input: { repo: 'acme/billing', pr: 1287 },
      output: review,
    });
    traces.push(
      base('code-review', start, 9700, {
        user_id: 'github-app:reviewer-bot',
        tags: ['demo', runTag, 'code-review', 'tools'],
        environment: 'ci',
        release: 'reviewer@0.9.2',
        input: { repo: 'acme/billing', pull_request: 1287, title: 'Add CSV export of invoices per customer' },
        output: { verdict: 'REQUEST_CHANGES', summary: review },
        spans: [
          agent,
          t.span(agent.span_id, 'fetch_pull_request', 'TOOL', 100, 900, {
            input: { repo: 'acme/billing', number: 1287 },
            output: {
              files_changed: 3,
              additions: 118,
              deletions: 6,
              files: ['reports/export.py', 'reports/urls.py', 'tests/test_export.py'],
            },
          }),
          t.span(agent.span_id, 'run_static_analysis', 'TOOL', 910, 4200, {
            input: { tool: 'bandit', paths: ['reports/export.py'] },
            output: {
              findings: [
                {
                  rule: 'B608',
                  severity: 'HIGH',
                  line: 42,
                  message: 'Possible SQL injection via string-based query construction',
                },
              ],
            },
          }),
          t.span(agent.span_id, 'draft-review', 'LLM', 4210, 8700, {
            ...big(3920, 240),
            input: 'diff + findings',
            output: review,
          }),
          t.span(agent.span_id, 'post_review_comment', 'TOOL', 8710, 9500, {
            input: { pr: 1287, event: 'REQUEST_CHANGES', comments: 2 },
            output: { review_id: 55120331, state: 'CHANGES_REQUESTED' },
          }),
        ],
      }),
    );
  }

  // 5. An ERROR trace: a refund that failed at the payment provider.
  {
    const start = minutesAgo(26);
    const t = timeline(start);
    const q = 'I was charged twice for invoice INV-2291, please refund the duplicate.';
    const answer =
      "I'm sorry, I couldn't complete the refund right now because our payment system did not respond. I've escalated it to billing (ticket BIL-4410).";
    const agent = t.span(null, 'billing-agent', 'AGENT', 0, 31_500, {
      input: q,
      output: answer,
      status: 'ERROR',
      error: 'refund failed: upstream timeout',
    });
    traces.push(
      base('billing-refund', start, 31_600, {
        status: 'ERROR',
        user_id: 'li.wei@example.com',
        session_id: `sess-${runTag}-li`,
        tags: ['demo', runTag, 'support', 'billing', 'tools'],
        input: { messages: [{ role: 'user', content: q }] },
        output: { messages: [{ role: 'assistant', content: answer }] },
        spans: [
          agent,
          t.span(agent.span_id, 'find_duplicate_charge', 'TOOL', 200, 800, {
            input: { invoice: 'INV-2291' },
            output: {
              charges: [
                { id: 'ch_3PqA', amount: 49.0 },
                { id: 'ch_3PqB', amount: 49.0 },
              ],
              duplicate: 'ch_3PqB',
            },
          }),
          {
            ...t.span(agent.span_id, 'issue_refund', 'TOOL', 810, 30_810, {
              input: { charge: 'ch_3PqB', amount: 49.0, currency: 'EUR' },
            }),
            status: 'ERROR',
            error: 'PaymentGatewayTimeout: no response from payments-api after 30000 ms',
          },
          t.span(agent.span_id, 'open_ticket', 'TOOL', 30_820, 31_100, {
            input: { queue: 'billing', priority: 'high' },
            output: { ticket: 'BIL-4410' },
          }),
          t.span(agent.span_id, 'compose-apology', 'LLM', 31_110, 31_450, { ...mini(830, 52), output: answer }),
        ],
      }),
    );
  }

  // 6. Plan-and-execute: a trip planner that writes a plan, then runs its steps.
  {
    const start = minutesAgo(22);
    const t = timeline(start);
    const q =
      'Plan a 2-day trip to Lisbon next month for a conference at the FIL, budget 600 EUR, I hate early flights.';
    const plan = [
      'Check the calendar for the conference dates',
      'Find flights that leave after 10:00',
      'Find a hotel within 20 min of FIL',
      'Summarise with total cost',
    ];
    const answer =
      'Plan: fly out 14 Oct 11:35 (TP 1351, 142 EUR return), stay 2 nights at Hotel Oriente Parque (2 × 118 EUR, 12 min walk to FIL). ' +
      'Total 378 EUR, within your 600 EUR budget.';
    const agent = t.span(null, 'trip-planner', 'AGENT', 0, 7800, { input: q, output: answer });
    traces.push(
      base('trip-planner', start, 7900, {
        user_id: 'sam.o@example.com',
        tags: ['demo', runTag, 'planner', 'tools'],
        release: 'planner@2.0.1',
        input: q,
        output: answer,
        metadata: { agent_type: 'plan-and-execute' },
        spans: [
          agent,
          t.span(agent.span_id, 'planner', 'LLM', 50, 1500, { ...big(540, 120), input: q, output: { plan } }),
          t.span(agent.span_id, 'check_calendar', 'TOOL', 1510, 1700, {
            input: { query: 'conference FIL' },
            output: { event: 'DevWorld Lisbon', dates: ['2026-10-14', '2026-10-15'] },
          }),
          t.span(agent.span_id, 'search_flights', 'TOOL', 1710, 3900, {
            input: { to: 'LIS', depart: '2026-10-14', return: '2026-10-16', earliest_departure: '10:00' },
            output: [
              { flight: 'TP 1351', departs: '11:35', price_eur: 142 },
              { flight: 'U2 7623', departs: '06:50', price_eur: 96 },
            ],
          }),
          t.span(agent.span_id, 'search_hotels', 'TOOL', 3910, 5600, {
            input: { near: 'FIL Lisbon', max_walk_min: 20, nights: 2 },
            output: [{ hotel: 'Hotel Oriente Parque', per_night_eur: 118, walk_min: 12 }],
          }),
          t.span(agent.span_id, 'summarise', 'LLM', 5610, 7700, {
            ...big(980, 88),
            input: 'plan + results',
            output: answer,
          }),
        ],
      }),
    );
  }

  // 7. Support chat in staging: a password reset with a single tool.
  {
    const start = minutesAgo(18);
    const t = timeline(start);
    const q = "I can't log in, the reset email never arrives.";
    const answer =
      'I sent a new reset link to t•••@example.org (it can take 2 minutes; check the spam folder). The previous link was expired.';
    const agent = t.span(null, 'support-agent', 'AGENT', 0, 2500, { input: q, output: answer });
    traces.push(
      base('support-chat', start, 2600, {
        user_id: 'tomas.r@example.org',
        session_id: `sess-${runTag}-tomas`,
        environment: 'staging',
        release: 'support-bot@3.3.0-rc.1',
        tags: ['demo', runTag, 'support', 'tools'],
        input: { messages: [{ role: 'user', content: q }] },
        output: { messages: [{ role: 'assistant', content: answer }] },
        spans: [
          agent,
          t.span(agent.span_id, 'send_password_reset', 'TOOL', 300, 1100, {
            input: { email: 'tomas.r@example.org' },
            output: { sent: true, previous_link: 'expired' },
          }),
          t.span(agent.span_id, 'compose-reply', 'LLM', 1110, 2450, { ...mini(702, 41), output: answer }),
        ],
      }),
    );
  }

  // 8. Data agent: a natural-language question turned into SQL, run, and explained.
  {
    const start = minutesAgo(14);
    const t = timeline(start);
    const q = 'Which 3 countries had the highest churn last quarter?';
    const sql =
      "SELECT country, round(100.0 * sum(churned::int) / count(*), 1) AS churn_pct FROM subscriptions WHERE period = '2026Q2' GROUP BY country ORDER BY churn_pct DESC LIMIT 3";
    const answer = 'Highest churn in Q2 2026: Brazil 9.4%, Poland 7.9%, Canada 7.1%.';
    const agent = t.span(null, 'analytics-agent', 'AGENT', 0, 5200, { input: q, output: answer });
    traces.push(
      base('analytics-sql', start, 5300, {
        user_id: 'priya.n@example.com',
        environment: 'development',
        release: 'analyst@0.4.0',
        tags: ['demo', runTag, 'analytics', 'tools'],
        input: q,
        output: answer,
        spans: [
          agent,
          t.span(agent.span_id, 'write-sql', 'LLM', 20, 1800, { ...big(1210, 74), input: q, output: sql }),
          t.span(agent.span_id, 'run_sql', 'TOOL', 1810, 3900, {
            input: { sql },
            output: {
              rows: [
                ['BR', 9.4],
                ['PL', 7.9],
                ['CA', 7.1],
              ],
              columns: ['country', 'churn_pct'],
            },
          }),
          t.span(agent.span_id, 'explain', 'LLM', 3910, 5150, { ...mini(420, 30), output: answer }),
        ],
      }),
    );
  }

  // 9. Summarisation: no tools, one LLM call over a meeting transcript.
  {
    const start = minutesAgo(10);
    const t = timeline(start);
    const summary =
      'Decisions: ship v3.3 on 2 Oct; freeze the billing schema. Actions: Ana writes the migration guide (Fri), Ben fixes flaky export tests (Wed).';
    const llmSpan = t.span(null, 'summarise-transcript', 'LLM', 0, 3300, {
      ...mini(5320, 61),
      input: { transcript_chars: 21_400, meeting: 'Release sync 2026-09-22' },
      output: summary,
    });
    traces.push(
      base('meeting-summary', start, 3400, {
        user_id: 'ana.p@example.com',
        tags: ['demo', runTag, 'summarization'],
        release: 'notes@1.1.0',
        input: { meeting: 'Release sync 2026-09-22', transcript: '(21,400 characters)' },
        output: summary,
        spans: [llmSpan],
      }),
    );
  }

  // 10. RAG that found nothing relevant and said so.
  {
    const start = minutesAgo(6);
    const t = timeline(start);
    const q = 'What is the SLA for the on-prem edition?';
    const answer =
      "I couldn't find the on-prem SLA in the documentation I can search. Please ask your account manager; I've noted the gap.";
    const chain = t.span(null, 'docs-answer-pipeline', 'CHAIN', 0, 1900, { input: q, output: answer });
    traces.push(
      base('docs-rag', start, 2000, {
        user_id: 'kwame.a@example.com',
        environment: 'production',
        release: 'docs-assistant@5.0.2',
        tags: ['demo', runTag, 'rag'],
        input: q,
        output: answer,
        spans: [
          chain,
          t.span(chain.span_id, 'vector-search', 'RETRIEVER', 20, 300, {
            input: { query: q, top_k: 3, index: 'public-docs' },
            output: [{ doc: 'cloud/sla.md', score: 0.41, text: 'Cloud edition: 99.9% monthly uptime...' }],
          }),
          t.span(chain.span_id, 'answer', 'LLM', 310, 1880, {
            ...mini(690, 39),
            input: 'question + 1 weak chunk',
            output: answer,
          }),
        ],
      }),
    );
  }

  // 11. Plan-and-execute that over-did it: repeated the same search three times.
  {
    const start = minutesAgo(3);
    const t = timeline(start);
    const q = 'Book a table for 4 near Alexanderplatz tonight at 8, vegetarian-friendly.';
    const answer =
      'Booked: Lucky Leek, 20:00 tonight, table for 4 (confirmation LL-2231). It is fully vegan, 9 min walk from Alexanderplatz.';
    const agent = t.span(null, 'concierge', 'AGENT', 0, 8800, { input: q, output: answer });
    const search = (from: number) =>
      t.span(agent.span_id, 'search_restaurants', 'TOOL', from, from + 900, {
        input: { near: 'Alexanderplatz, Berlin', party: 4, time: '20:00', diet: 'vegetarian' },
        output: [
          { name: 'Lucky Leek', walk_min: 9, free: true },
          { name: 'Cookies Cream', walk_min: 14, free: false },
        ],
      });
    traces.push(
      base('concierge-planner', start, 8900, {
        user_id: 'sam.o@example.com',
        tags: ['demo', runTag, 'planner', 'tools'],
        release: 'planner@2.0.1',
        input: q,
        output: answer,
        metadata: { agent_type: 'plan-and-execute' },
        spans: [
          agent,
          t.span(agent.span_id, 'planner', 'LLM', 20, 1100, {
            ...big(430, 70),
            output: { plan: ['Search restaurants', 'Book the best match', 'Confirm to the user'] },
          }),
          search(1110),
          search(2020),
          search(2930),
          t.span(agent.span_id, 'book_table', 'TOOL', 3840, 6100, {
            input: { restaurant: 'Lucky Leek', party: 4, time: '20:00' },
            output: { confirmation: 'LL-2231' },
          }),
          t.span(agent.span_id, 'confirm', 'LLM', 6110, 8700, { ...mini(610, 45), output: answer }),
        ],
      }),
    );
  }

  return traces;
}

/**
 * Canned judge verdicts for some (trace name, metric) pairs, so that the demo's table shows
 * differences (the failed refund scores low, the looping concierge is marked down). The scripted
 * judge finds the trace name in the prompt; anything else gets its default answer.
 */
export const CANNED_VERDICTS: Record<
  string,
  Partial<Record<'task_completion' | 'tool_correctness' | 'plan_quality' | 'confidence', [number, string]>>
> = {
  'billing-refund': {
    task_completion: [0.2, 'The duplicate charge was found but never refunded; the user was only given a ticket.'],
    tool_correctness: [0.6, 'Right tools, but the refund call timed out and was not retried.'],
    confidence: [0.55, 'The reply apologises and escalates; it cannot promise an outcome.'],
  },
  'concierge-planner': {
    task_completion: [0.9, 'The table was booked as requested and confirmed.'],
    tool_correctness: [0.5, 'search_restaurants was called three times with identical arguments.'],
    plan_quality: [0.7, 'A sensible three-step plan, but it did not guard against repeated searches.'],
  },
  'docs-rag': {
    task_completion: [0.4, 'No SLA was given; the assistant correctly admitted the gap instead of guessing.'],
    confidence: [0.6, 'Appropriately hedged: the answer says the information was not found.'],
  },
  'code-review': {
    task_completion: [0.95, 'The review caught the SQL injection and a resource leak and requested changes.'],
    tool_correctness: [1, 'Fetching the PR, static analysis and posting the review is exactly the needed sequence.'],
  },
  'trip-planner': {
    plan_quality: [0.9, 'The plan covers dates, flight-time constraint, location and budget in a sensible order.'],
    task_completion: [0.9, 'Flights after 10:00 and a nearby hotel within budget were found.'],
  },
};
