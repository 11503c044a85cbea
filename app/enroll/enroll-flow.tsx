'use client';

import { useCallback, useEffect, useRef, useState } from 'react';
import type { EnrolledNode, EnrollStep, OpenflRole, ReadToken, Refusal } from '@/lib/enroll/kit';
import type { KeySpec } from '@/lib/pki/keys';
import { focusOnMount } from '@/app/_components/focus';
import { Downloads } from './downloads';
import styles from './enroll.module.css';
import { useLeaveWarning, useNow, useWebCrypto } from './hooks';
import { KeyChoice } from './key-choice';
import { loadKit, type Kit } from './kit';
import { NoWebCrypto } from './no-webcrypto';
import { Progress } from './progress';
import { RefusalNotice } from './refusal';
import { KeyMade, Result } from './result';
import { TokenForm } from './token-form';
import { TokenSummaryCard } from './token-summary';
import { WhatNext } from './what-next';

type Phase =
  | { kind: 'token'; checking?: boolean; refusal?: Refusal }
  | { kind: 'ready'; read: ReadToken; refusal?: Refusal }
  | { kind: 'working'; read: ReadToken; spec: KeySpec; step: EnrollStep }
  | { kind: 'refused'; read: ReadToken; refusal: Refusal }
  | { kind: 'done'; read: ReadToken; node: EnrolledNode; kit: Kit; role: OpenflRole };

const LOAD_FAILED: Refusal = {
  code: 'load_failed',
  title: 'This page could not load the code that makes keys.',
  action: 'Check your connection and reload the page.',
  remedy: 'retry',
};

function refusalOf(e: unknown): Refusal {
  const r = (e as { refusal?: Refusal } | null)?.refusal;
  return r ?? LOAD_FAILED;
}

export function EnrollFlow() {
  const webCrypto = useWebCrypto();
  const [phase, setPhase] = useState<Phase>({ kind: 'token' });
  const [keySaved, setKeySaved] = useState(false);
  const live = phase.kind === 'ready' || phase.kind === 'working';
  const now = useNow(live);
  const resultHeading = useRef<HTMLHeadingElement>(null);
  const summaryHeading = useRef<HTMLHeadingElement>(null);
  // Where the focus goes when the control that had it is gone (disabled while working,
  // then replaced): the token field, or the refusal that says what happened.
  const focusToken = () => requestAnimationFrame(() => document.getElementById('token')?.focus());
  const anotherToken = () => {
    setPhase({ kind: 'token' });
    focusToken();
  };

  useLeaveWarning(phase.kind === 'working' || (phase.kind === 'done' && !keySaved));

  const readToken = useCallback(async (text: string) => {
    setPhase({ kind: 'token', checking: true });
    try {
      const kit = await loadKit();
      setPhase({ kind: 'ready', read: await kit.readTokenForPage(text) });
      requestAnimationFrame(() => summaryHeading.current?.focus());
    } catch (e) {
      setPhase({ kind: 'token', refusal: refusalOf(e) });
      focusToken();
    }
  }, []);

  // A link /enroll#token=… : the fragment never reaches a server; drop it from the
  // address bar and history once read.
  useEffect(() => {
    const token = new URLSearchParams(window.location.hash.slice(1)).get('token');
    if (!token) return;
    history.replaceState(history.state, '', window.location.pathname + window.location.search);
    queueMicrotask(() => void readToken(token));
  }, [readToken]);

  const enroll = async (read: ReadToken, spec: KeySpec) => {
    setPhase({ kind: 'working', read, spec, step: 'prepare' });
    try {
      const kit = await loadKit();
      const node = await kit.requestCertificate(read.token, spec, { onStep: (step) => setPhase({ kind: 'working', read, spec, step }) });
      setKeySaved(false);
      setPhase({ kind: 'done', read, node, kit, role: kit.roleFromToken(node.token.claims.role)?.side ?? kit.guessRole(node.token.claims.sub, node.token.claims.sans) });
      requestAnimationFrame(() => resultHeading.current?.focus());
    } catch (e) {
      const refusal = refusalOf(e);
      setPhase(refusal.remedy === 'retry' || refusal.remedy === 'other-key' ? { kind: 'ready', read, refusal } : { kind: 'refused', read, refusal });
    }
  };

  if (!webCrypto) return <NoWebCrypto />;

  const read = phase.kind === 'token' ? undefined : phase.read;
  const expired = read ? read.summary.expiresAt.getTime() <= now : false;

  return (
    <>
      <section className={styles.step} aria-labelledby="step-token">
        <h2 id="step-token" className={styles.stepTitle}>
          <span className={styles.stepNumber} aria-hidden="true">1</span> Your token
        </h2>
        {phase.kind === 'token' ? (
          <TokenForm onSubmit={readToken} onFirstUse={() => void loadKit().catch(() => undefined)} checking={phase.checking} refusal={phase.refusal} />
        ) : (
          <TokenSummaryCard
            summary={phase.read.summary}
            now={now}
            live={live}
            headingRef={summaryHeading}
            onReplace={phase.kind === 'ready' ? anotherToken : undefined}
          />
        )}
      </section>

      {read && (
        <section className={styles.step} aria-labelledby="step-key">
          <h2 id="step-key" className={styles.stepTitle}>
            <span className={styles.stepNumber} aria-hidden="true">2</span> Your key
          </h2>
          {/* A refusal after "Make my key…" takes the focus as it appears (both notices below). */}
          {phase.kind === 'refused' && (
            <RefusalNotice refusal={phase.refusal} focusRef={focusOnMount}>
              <button type="button" className={styles.secondary} onClick={anotherToken}>
                Use another token
              </button>
            </RefusalNotice>
          )}
          {phase.kind === 'done' && <KeyMade node={phase.node} />}
          {(phase.kind === 'ready' || phase.kind === 'working') && (
            <>
              {expired && phase.kind === 'ready' && (
                <RefusalNotice refusal={{ code: 'token_expired', title: 'This token has expired.', action: 'Ask your administrator for a new token.', remedy: 'new-token' }} />
              )}
              {phase.kind === 'ready' && phase.refusal && <RefusalNotice refusal={phase.refusal} focusRef={focusOnMount} />}
              <KeyChoice busy={phase.kind === 'working'} disabled={expired && phase.kind === 'ready'} onGenerate={(spec) => void enroll(phase.read, spec)}>
                {phase.kind === 'working' && <Progress step={phase.step} spec={phase.spec} />}
              </KeyChoice>
            </>
          )}
        </section>
      )}

      {phase.kind === 'done' && (
        <section className={styles.step} aria-labelledby="step-files">
          <h2 id="step-files" className={styles.stepTitle}>
            <span className={styles.stepNumber} aria-hidden="true">3</span> Your certificate and files
          </h2>
          <Result node={phase.node} summary={phase.read.summary} headingRef={resultHeading} />
          <Downloads
            node={phase.node}
            kit={phase.kit}
            role={phase.role}
            onRole={(role) => setPhase({ ...phase, role })}
            keySaved={keySaved}
            onKeySaved={() => setKeySaved(true)}
          />
          <WhatNext name={phase.node.token.claims.sub} file={phase.kit.fileSafeName(phase.node.token.claims.sub)} role={phase.role} workflow={phase.kit.roleFromToken(phase.node.token.claims.role)?.workflow} />
        </section>
      )}
    </>
  );
}
