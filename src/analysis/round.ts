/** Times in reports are seconds rounded to the microsecond (what a pcap timestamp usually holds). */
export const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;
