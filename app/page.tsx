import Link from 'next/link';

export default function Home() {
  return (
    <main className="narrow">
      <h1>FedPKI</h1>
      <div className="panel">
        <p>The certificate authority of this federation.</p>
        <ul>
          <li>
            <Link href="/enroll">Enroll a node with a token</Link> — your key is made in this browser and never leaves it.
          </li>
        </ul>
      </div>
    </main>
  );
}
