import nextVitals from 'eslint-config-next/core-web-vitals';
import nextTs from 'eslint-config-next/typescript';
import drizzle from 'eslint-plugin-drizzle';

const config = [
  ...nextVitals,
  ...nextTs,
  {
    plugins: { drizzle },
    rules: {
      // Updates and deletes without WHERE touch every row: never wanted here.
      'drizzle/enforce-delete-with-where': ['error', { drizzleObjectName: ['db', 'tx'] }],
      'drizzle/enforce-update-with-where': ['error', { drizzleObjectName: ['db', 'tx'] }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The lib/ca and lib/pki layers must stay free of Next.js and the database driver.
    files: ['lib/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['next', 'next/*', 'better-sqlite3', 'drizzle-orm', 'drizzle-orm/*', '**/db/*', '**/server/*', '@/db/*', '@/server/*'], message: 'lib/ must not depend on Next.js, the database or the server.' }] },
      ],
    },
  },
  { ignores: ['.next/**', 'dist/**', 'node_modules/**', 'data/**', 'test-results/**', 'bench-results/**', 'next-env.d.ts'] },
];

export default config;
