import { Fragment } from 'react';
import { colonHex } from './format';

/**
 * A fingerprint, key id or serial as colon-separated bytes that wraps only between
 * bytes, never inside one.
 */
export function Hex({ value, className = 'mono small hex' }: { value: string; className?: string }) {
  const bytes = colonHex(value).split(':');
  return (
    <span className={className}>
      {bytes.map((b, i) => (
        <Fragment key={i}>
          {b}
          {i < bytes.length - 1 && (
            <>
              :<wbr />
            </>
          )}
        </Fragment>
      ))}
    </span>
  );
}
