use super::*;
use ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
use elliptic_curve::Field;

#[test]
fn signed_digits_recompose_the_scalar_and_stay_in_range() {
    for window in [2u32, 4, 5, 7] {
        for _ in 0..50 {
            let k = p256::Scalar::random(&mut crate::crypto::rng());
            let digits = signed_digits(k.to_repr().as_ref(), window);
            let half = 1i32 << (window - 1);
            assert!(
                digits.iter().all(|d| (-half..=half).contains(d)),
                "{digits:?}"
            );
            // Σ d_i·2^(w·i), evaluated in the scalar field, gives k back.
            let radix = p256::Scalar::from(1u64 << window);
            let signed = digits.iter().rev().fold(p256::Scalar::ZERO, |acc, &d| {
                let magnitude = p256::Scalar::from(u64::from(d.unsigned_abs()));
                acc * radix + if d < 0 { -magnitude } else { magnitude }
            });
            assert_eq!(signed, k, "window {window}");
        }
    }
}

#[test]
fn table_multiplication_matches_the_library() {
    let key = p256::ecdsa::SigningKey::generate_from_rng(&mut crate::crypto::rng());
    let public = *key.verifying_key().as_affine();
    let table = Table::<p256::NistP256>::for_key(&public);
    // A key's table serves verification only: no second copy of its points for signing.
    assert!(table.points.is_empty());
    assert_eq!(table.coordinates.len(), 65 * 8);
    assert!(!<p256::NistP256 as Generator>::table().points.is_empty());
    for k in [
        p256::Scalar::ZERO,
        p256::Scalar::ONE,
        -p256::Scalar::ONE,
        p256::Scalar::random(&mut crate::crypto::rng()),
    ] {
        let expected = p256::ProjectivePoint::from(public) * k;
        assert_eq!(table.mul(&k), expected.to_affine());
        let generator = p256::ProjectivePoint::GENERATOR * k;
        assert_eq!(
            <p256::NistP256 as Generator>::table().mul(&k),
            generator.to_affine()
        );
    }
}

fn agrees_with_the_ecdsa_crate<C>(key: &ecdsa::SigningKey<C>, digest_len: usize)
where
    C: Generator + ecdsa::EcdsaCurve + elliptic_curve::CurveArithmetic,
    Scalar<C>: Reduce<FieldBytes<C>>,
    ecdsa::SigningKey<C>: PrehashSigner<ecdsa::Signature<C>>,
    ecdsa::VerifyingKey<C>: PrehashVerifier<ecdsa::Signature<C>>,
{
    let table = Table::<C>::for_key(key.verifying_key().as_affine());
    for round in 0..20u8 {
        let digest = crate::crypto::random_bytes(digest_len);
        let signature: ecdsa::Signature<C> = key.sign_prehash(&digest).unwrap();
        assert!(verify_prehash(&table, &digest, &signature));
        // The other s verifies too, as with OpenSSL.
        let (r, s) = signature.split_scalars();
        let flipped = ecdsa::Signature::<C>::from_scalars(*r, -*s).unwrap();
        assert!(verify_prehash(&table, &digest, &flipped));
        // A changed digest, a changed r, a digest of the wrong length: all refused, as the
        // ecdsa crate refuses them.
        let mut other = digest.clone();
        other[usize::from(round) % digest_len] ^= 1 << (round % 8);
        assert!(!verify_prehash(&table, &other, &signature));
        assert!(
            key.verifying_key()
                .verify_prehash(&other, &signature)
                .is_err()
        );
        let shifted = ecdsa::Signature::<C>::from_scalars(*r + Scalar::<C>::ONE, *s).unwrap();
        assert!(!verify_prehash(&table, &digest, &shifted));
        assert!(!verify_prehash(&table, &digest[1..], &signature));
    }
}

#[test]
fn p256_verification_agrees_with_the_ecdsa_crate() {
    let key = p256::ecdsa::SigningKey::generate_from_rng(&mut crate::crypto::rng());
    agrees_with_the_ecdsa_crate(&key, 32);
}

#[test]
fn p384_verification_agrees_with_the_ecdsa_crate() {
    let key = p384::ecdsa::SigningKey::generate_from_rng(&mut crate::crypto::rng());
    agrees_with_the_ecdsa_crate(&key, 48);
}

#[test]
fn a_signature_by_another_key_does_not_verify() {
    let key = p256::ecdsa::SigningKey::generate_from_rng(&mut crate::crypto::rng());
    let other = p256::ecdsa::SigningKey::generate_from_rng(&mut crate::crypto::rng());
    let table = Table::<p256::NistP256>::for_key(key.verifying_key().as_affine());
    let digest = [7u8; 32];
    let signature: p256::ecdsa::Signature = other.sign_prehash(&digest).unwrap();
    assert!(!verify_prehash(&table, &digest, &signature));
}

#[test]
fn constant_time_multiplication_matches_the_variable_time_one() {
    let table = <p256::NistP256 as Generator>::table();
    for k in [
        p256::Scalar::ZERO,
        p256::Scalar::ONE,
        -p256::Scalar::ONE,
        p256::Scalar::from(64u64),
        p256::Scalar::random(&mut crate::crypto::rng()),
        p256::Scalar::random(&mut crate::crypto::rng()),
    ] {
        assert_eq!(
            table.mul_secret(&k).to_affine(),
            (p256::ProjectivePoint::GENERATOR * k).to_affine()
        );
    }
}

fn signatures_verify_everywhere<C>(key: &ecdsa::SigningKey<C>, digest_len: usize)
where
    C: Generator + ecdsa::EcdsaCurve + elliptic_curve::CurveArithmetic,
    Scalar<C>: Reduce<FieldBytes<C>>,
    ecdsa::VerifyingKey<C>: PrehashVerifier<ecdsa::Signature<C>>,
{
    let table = Table::<C>::for_key(key.verifying_key().as_affine());
    let mut seen = std::collections::HashSet::new();
    for _ in 0..20 {
        let digest = crate::crypto::random_bytes(digest_len);
        let signature = sign_prehash(key.as_nonzero_scalar(), &digest).unwrap();
        // The ecdsa crate's verifier (normalising s, which it insists on) and ours agree.
        key.verifying_key()
            .verify_prehash(&digest, &signature.normalize_s())
            .unwrap();
        assert!(verify_prehash(&table, &digest, &signature));
        seen.insert(signature.to_bytes().to_vec());
    }
    // A fresh nonce each time: signing the same digest twice gives two signatures.
    let digest = vec![1u8; digest_len];
    let first = sign_prehash(key.as_nonzero_scalar(), &digest).unwrap();
    let second = sign_prehash(key.as_nonzero_scalar(), &digest).unwrap();
    assert_ne!(first, second);
    assert_eq!(seen.len(), 20);
    // A digest of another length is left to the generic signer.
    assert!(sign_prehash(key.as_nonzero_scalar(), &digest[1..]).is_none());
}

#[test]
fn p256_signatures_verify_with_the_ecdsa_crate() {
    let key = p256::ecdsa::SigningKey::generate_from_rng(&mut crate::crypto::rng());
    signatures_verify_everywhere(&key, 32);
}

#[test]
fn p384_signatures_verify_with_the_ecdsa_crate() {
    let key = p384::ecdsa::SigningKey::generate_from_rng(&mut crate::crypto::rng());
    signatures_verify_everywhere(&key, 48);
}

#[test]
fn jacobian_sums_double_equal_points_and_cancel_opposite_ones() {
    type Fe = <p256::NistP256 as elliptic_curve::hazmat::FieldArithmetic>::FieldElement;
    let coordinates = |point: &p256::AffinePoint| {
        (
            Fe::from_repr(point.x()).unwrap(),
            Fe::from_repr(point.y()).unwrap(),
        )
    };
    let p = (p256::ProjectivePoint::GENERATOR * p256::Scalar::random(&mut crate::crypto::rng()))
        .to_affine();
    let q = (p256::ProjectivePoint::GENERATOR * p256::Scalar::random(&mut crate::crypto::rng()))
        .to_affine();
    let (px, py) = coordinates(&p);
    let (qx, qy) = coordinates(&q);

    // P + P takes the doubling branch (Z = 1).
    let mut sum = Jacobian::<p256::NistP256>::identity();
    sum.add_affine(&px, &py);
    sum.add_affine(&px, &py);
    assert_eq!(
        sum.to_affine(),
        (p256::ProjectivePoint::from(p) * p256::Scalar::from(2u64)).to_affine()
    );

    // (P + Q) + (P + Q), with Z ≠ 1 when the doubling branch is taken.
    let p_plus_q = (p256::ProjectivePoint::from(p) + q).to_affine();
    let (sx, sy) = coordinates(&p_plus_q);
    let mut sum = Jacobian::<p256::NistP256>::identity();
    sum.add_affine(&px, &py);
    sum.add_affine(&qx, &qy);
    assert_eq!(sum.to_affine(), p_plus_q);
    sum.add_affine(&sx, &sy);
    assert_eq!(
        sum.to_affine(),
        (p256::ProjectivePoint::from(p_plus_q) * p256::Scalar::from(2u64)).to_affine()
    );

    // P + (−P) is the identity, which matches no r.
    let mut sum = Jacobian::<p256::NistP256>::identity();
    sum.add_affine(&px, &py);
    sum.add_affine(&px, &-py);
    assert_eq!(sum.to_affine(), p256::AffinePoint::IDENTITY);
    assert!(!sum.x_matches(&p256::Scalar::ONE));
}
