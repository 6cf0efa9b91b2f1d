declare module 'pcap-parser';
