use super::layout::crossings;

#[test]
fn crossings_are_counted_between_edges_in_opposite_order() {
    // Two edges a→d, b→c with a above b and c above d cross once; a third edge a→c shares
    // an end with each and crosses neither.
    let pos = [0.0, 1.0, 0.0, 1.0];
    let col = [0, 0, 1, 1];
    assert_eq!(crossings(&pos, &col, &[(0, 3), (1, 2)]), 1);
    assert_eq!(crossings(&pos, &col, &[(0, 2), (1, 3)]), 0);
    assert_eq!(crossings(&pos, &col, &[(0, 3), (1, 2), (0, 2)]), 1);
    // Edges between columns that do not overlap never cross: 0→1 and 2→3.
    let col = [0, 1, 1, 2];
    assert_eq!(crossings(&[0.0, 1.0, 0.0, 1.0], &col, &[(0, 1), (2, 3)]), 0);
}
