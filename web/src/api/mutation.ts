/**
 * TanStack's useMutation, plus one thing every form needs: when the session ended under an open
 * form, its send failed with "Please sign in."; once the user signed in again in the dialog
 * (App.tsx), that message is stale and goes, so the form shows only what is still true.
 */
import {
  useMutation as useQueryMutation,
  type DefaultError,
  type UseMutationOptions,
  type UseMutationResult,
} from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { ApiError } from './client';

const signedInAgainListeners = new Set<() => void>();

/** App.tsx calls this when the session-ended dialog signed in again. */
export function notifySignedInAgain(): void {
  for (const listener of signedInAgainListeners) listener();
}

export function useMutation<
  TData = unknown,
  TError = DefaultError,
  TVariables = void,
  TOnMutateResult = unknown,
>(
  options: UseMutationOptions<TData, TError, TVariables, TOnMutateResult>,
): UseMutationResult<TData, TError, TVariables, TOnMutateResult> {
  const mutation = useQueryMutation(options);
  const latest = useRef(mutation);
  latest.current = mutation;
  useEffect(() => {
    const clear = () => {
      const { error, reset } = latest.current;
      if (error instanceof ApiError && error.status === 401) reset();
    };
    signedInAgainListeners.add(clear);
    return () => {
      signedInAgainListeners.delete(clear);
    };
  }, []);
  return mutation;
}
