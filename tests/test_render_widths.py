"""Table columns wide enough for their header (issue 16: « Distance (… », « Action
propo… » at 1,280 px: Streamlit sizes a column to its cells only)."""

import pandas as pd

from odlab_compliance.ui.render import column_width


def test_a_short_number_under_a_long_header_gets_the_header_width():
    assert column_width("Distance (km)", pd.Series([3, 12])) >= 13 * 8 + 30
    assert column_width("Action proposée", pd.Series(["appeler"])) >= 15 * 8 + 30


def test_long_cells_widen_the_column_up_to_large():
    assert column_width("Nom", pd.Series(["CC du Bassin Auterivain Haut-Garonnais"])) >= 38 * 7
    assert column_width("Motif", pd.Series(["x" * 500])) == 400
    assert column_width("Jeux", pd.Series([None, None])) >= 4 * 8
