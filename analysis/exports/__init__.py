"""Exports of one run: CSV and JSON per kind, an XLSX workbook, the VDR request list. All streamed."""
