import { describe, expect, it } from 'vitest';
import { render, screen } from '@testing-library/svelte';
import QrCode from './QrCode.svelte';

describe('QR code', () => {
  it('draws one square per dark module', () => {
    const dark = [true, false, false, true];
    render(QrCode, { width: 2, dark, label: 'request' });
    const svg = screen.getByTestId('qr-code');
    expect(svg.querySelectorAll('rect.qr-dark')).toHaveLength(2);
    expect(svg.getAttribute('aria-label')).toBe('request');
  });
});
