"""Figures, maps, exports and the PDF: plotly and files, no streamlit."""
