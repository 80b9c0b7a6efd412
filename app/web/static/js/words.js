// Machine reasons in plain words, for people who do not read API codes.

const REASONS = {
  admitted: "admitted",
  no_match: "not recognised",
  no_face: "no face found",
  multiple_faces: "more than one face",
  face_too_small: "face too small (move closer)",
  face_too_blurry: "face too blurry",
  unknown_badge: "unknown badge",
  badge_mismatch: "face does not match the badge",
  badge_required: "badge needed at this door",
  inactive: "person is inactive",
  not_an_image: "not a readable image",
  image_too_large: "image too large",
  inconsistent: "not the same person as the other photos",
  duplicate_person: "already enrolled as someone else",
};

export const reasonText = (reason) => REASONS[reason] || reason.replaceAll("_", " ");
