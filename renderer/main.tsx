/** Entry point of the renderer. */
// First: a link's chunks are requested before the rest of the entry is evaluated.
import './app/boot-load';
import './app/zod-config';
import './styles/app.css';
import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { ErrorCode } from '../shared/model/result';
import { GatehouseCallError } from './api/client';
import { App } from './app/App';
import { preloadRoute } from './app/route-preload';
import { parseRoute } from './app/router';
import { applyColorScheme } from './app/theme';

function onCallError(error: unknown): void {
  // An idle lock shows up as LOCKED on whatever call came next: re-read the session to show the lock screen.
  if (error instanceof GatehouseCallError && error.code === ErrorCode.Locked) {
    void queryClient.invalidateQueries({ queryKey: ['session:current'] });
  }
}

const queryClient = new QueryClient({
  defaultOptions: {
    // A refusal is an answer, not a flaky network: never retry it.
    queries: { retry: false, refetchOnWindowFocus: false },
    mutations: { retry: false },
  },
  queryCache: new QueryCache({ onError: onCallError }),
  mutationCache: new MutationCache({ onError: onCallError }),
});

applyColorScheme();
// A link to a proposal starts loading its code and data now, alongside the console's own start-up.
preloadRoute(queryClient, parseRoute(window.location.hash));
const container = document.getElementById('root');
if (container === null) throw new Error('index.html lacks #root');
createRoot(container).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <App />
    </QueryClientProvider>
  </StrictMode>,
);
