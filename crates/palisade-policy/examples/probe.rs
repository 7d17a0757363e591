//! Temporary probe (deleted before hand-off).
use cedar_policy::*;
use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use std::time::Instant;
fn main() {
    let n = 20000;
    let ty = EntityTypeName::from_str("Palisade::Identity").unwrap();
    let seg = EntityTypeName::from_str("Palisade::Segment").unwrap();
    let uid = EntityUid::from_type_name_and_id(ty.clone(), EntityId::new("spiffe://a/b/c"));
    let p = EntityUid::from_type_name_and_id(seg.clone(), EntityId::new("b"));
    let t = Instant::now();
    for _ in 0..n {
        let attrs = HashMap::from([
            ("a".to_owned(), RestrictedExpression::new_string("x".into())),
            ("b".to_owned(), RestrictedExpression::new_string("y".into())),
            (
                "c".to_owned(),
                RestrictedExpression::new_set([RestrictedExpression::new_string("z".into())]),
            ),
        ]);
        std::hint::black_box(Entity::new(uid.clone(), attrs, HashSet::from([p.clone()])).unwrap());
    }
    println!("entity new: {:?}", t.elapsed() / n);
    let e = Entity::new(uid.clone(), HashMap::new(), HashSet::from([p.clone()])).unwrap();
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(Entities::from_entities([e.clone()], None).unwrap());
    }
    println!("entities from 1: {:?}", t.elapsed() / n);
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(
            Context::from_pairs([
                ("a".to_owned(), RestrictedExpression::new_long(1)),
                ("b".to_owned(), RestrictedExpression::new_bool(true)),
            ])
            .unwrap(),
        );
    }
    println!("context 2: {:?}", t.elapsed() / n);
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(RestrictedExpression::new_string("x".into()));
    }
    println!("restricted string: {:?}", t.elapsed() / n);
}
